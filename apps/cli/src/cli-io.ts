import { createInterface } from 'node:readline';
import { DomainError, isDatabaseUnavailable, isSchemaMissing } from '#common';

/** Prints the failure for a person and makes the process exit non-zero. */
export function fail(error: unknown): void {
  const message =
    error instanceof DomainError
      ? `${error.message} (${error.code})`
      : isSchemaMissing(error)
        ? 'The database has no schema yet: run `npx otp-auth migrate` (or start the server once).'
        : isDatabaseUnavailable(error)
          ? `The database is unavailable (${String((error as Error).message)}).`
          : String((error as Error)?.message ?? error);
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = 1;
}

/** Runs a command body, turning any error into a message on stderr and exit code 1. */
export async function runCommand(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    fail(error);
  }
}

/** Reads a password: hidden at a terminal, else the first line of standard input (for scripts). */
export function readPassword(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  if (process.stdin.isTTY) {
    process.stdout.write(question);
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  }
  return new Promise((resolve, reject) => {
    rl.once('line', (line) => {
      resolve(line); // before close(): 'close' fires synchronously and would reject first
      rl.close();
      if (process.stdin.isTTY) process.stdout.write('\n');
    });
    rl.once('close', () => reject(new Error('no password given (use --password, or type it at the prompt)')));
  });
}

/** "90", "90s", "15m", "1h", "7d" → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) throw new DomainError('VALIDATION_FAILED', `Not a duration: "${text}" (try 900, 15m, 1h or 7d).`);
  const seconds = Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (seconds < 1 || seconds > 30 * 86400) throw new DomainError('VALIDATION_FAILED', 'The duration must be between 1 s and 30 days.');
  return seconds;
}

/** Aligned columns, for lists a person reads. */
/** --limit: a whole number from 1 to 10000. */
export function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new Error('--limit must be a whole number from 1 to 10000');
  return limit;
}

export function table(rows: Record<string, string>[]): string {
  if (!rows.length) return '(none)\n';
  const columns = Object.keys(rows[0]);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => r[c])))].join('\n') + '\n';
}
