// Types for the test suites, which sign up through the benchmark's own seed-flow client.
export function json(base: string, method: string, path: string, body?: object, token?: string): Promise<Record<string, any>>;
export function signUp(
  base: string,
  identifier: string,
  username: string,
  codeOf: (identifier: string, purpose: 'REGISTER' | 'LOGIN') => Promise<string>,
): Promise<{ id: string; access: string }>;
