import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cliMain = `${root}dist/apps/cli/src/main.js`;
// The bundle npm start and the Docker image run (scripts/bundle-server.mjs).
export const apiMain = `${root}dist/server/main.js`;
const workerMain = `${root}dist/apps/worker/src/main.js`;

/** A loopback port nothing listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm run build` first) as a person would, with the given environment. */
export function runCli(args: string[], env: Record<string, string | undefined>, input?: string): Promise<CliResult> {
  return runToExit([cliMain, ...args], cleanEnv(env), 20_000, input);
}

/** Runs a built entry point to its exit (killed after `timeoutMs`), with what it printed. */
function runToExit(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

export interface RunningServer {
  base: string;
  pid: number;
  /** SIGTERM, then waits for the process to end. */
  stop(): Promise<void>;
  /** Sends a signal and returns at once. */
  signal(signal: NodeJS.Signals): void;
  /** Settles when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it has written to stdout and stderr so far. */
  output(): string;
}

/**
 * Starts the built API server and resolves once /health answers; returns a stop function. A server
 * that fails to start is killed and its last stderr lines are in the error, so nothing lingers to
 * keep jest from exiting.
 */
export async function startServer(
  env: Record<string, string | undefined>,
  port: number,
  options: { cwd?: string } = {},
): Promise<RunningServer> {
  // Every spawned server is reached from 127.0.0.1: per-IP limits stay out of the way unless a test sets them.
  const generous = {
    RATE_LIMIT_OTP_REQUESTS_PER_IP: '100000',
    RATE_LIMIT_OTP_VERIFIES_PER_IP: '100000',
    RATE_LIMIT_SIGN_INS_PER_IP: '100000',
    RATE_LIMIT_ADMIN_REQUESTS_PER_IP: '100000',
  };
  const child = spawn(process.execPath, [apiMain], {
    env: cleanEnv({ ...generous, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' }),
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let output = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const signal = (name: NodeJS.Signals) => void child.kill(name);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline || child.exitCode !== null) {
      const exitCode = child.exitCode;
      child.kill('SIGKILL');
      await exited;
      throw new Error(`server did not start (exit ${exitCode}):\n${stderr.trim().split('\n').slice(-15).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, pid: child.pid!, stop, signal, exited, output: () => output };
}

export interface RunningWorker {
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** Everything it has written so far. */
  output(): string;
}

/** Starts the built delivery worker (`npm run worker`) and resolves once it says it is sending. */
export async function startWorker(env: Record<string, string | undefined>): Promise<RunningWorker> {
  const child = spawn(process.execPath, [workerMain], { env: cleanEnv({ LOG_LEVEL: 'log', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!output.includes('Sending from queue')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`worker did not start:\n${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    output: () => output,
  };
}

/** Starts several servers at once; if any fails, stops the others before rethrowing. */
export async function startServers(env: Record<string, string | undefined>, ports: number[]): Promise<RunningServer[]> {
  const results = await Promise.allSettled(ports.map((port) => startServer(env, port)));
  const failure = results.find((r) => r.status === 'rejected');
  if (!failure) return results.map((r) => (r as PromiseFulfilledResult<RunningServer>).value);
  await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  throw failure.reason;
}

/**
 * One key-encryption key for every server, CLI and in-process app of a test run: on the real
 * backends they share one database, and so its signing keys. (Each would otherwise generate its own
 * into its DATA_DIR and could not read the keys another created.)
 */
export const TEST_KEYS_ENCRYPTION_KEY = Buffer.alloc(32, 'test-kek').toString('base64');

// The CLI and server read only what the test passes, plus PATH and HOME.
export function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', KEYS_ENCRYPTION_KEY: TEST_KEYS_ENCRYPTION_KEY };
  return Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
}

/** Starts the built server and waits for it to exit (a start that must fail), with what it printed. */
export function runServerToExit(env: Record<string, string | undefined>): Promise<CliResult> {
  return runToExit([apiMain], cleanEnv({ LOG_LEVEL: 'log', HOST: '127.0.0.1', ...env }), 30_000);
}
