import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminSignIn } from './support/admin-fixture.js';
import { apiMain, cleanEnv, freePort, startServer } from './support/cli.js';
import { newEmail } from './support/factories.js';
import { backend } from './support/test-app.js';

/** Runs the built server until it exits (a start that must fail), with what it printed. */
function runUntilExit(env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [apiMain], { env: cleanEnv({ LOG_LEVEL: 'log', ...env, HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// A newcomer's first start, on the built server: where things are, a first admin, .env, and each
// way a start can fail told in one line that leaves nothing behind.
describe(`starting the server (${backend.database} + ${backend.redis})`, () => {
  const dirs: string[] = [];
  const scratch = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const backends = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };

  it('ends its log with the URLs, the backends and, with no admin yet, the command that makes one', async () => {
    const server = await startServer({ ...backends, DATA_DIR: scratch('otp-start-'), LOG_LEVEL: 'log', LOG_FORMAT: 'json' }, 18701);
    try {
      const lines = server.output().trim().split('\n');
      const ready = lines.findIndex((line) => line.includes('Ready (NODE_ENV=development)'));
      expect(lines[ready]).toContain('API http://127.0.0.1:18701/api · Swagger UI http://127.0.0.1:18701/docs · admin panel http://127.0.0.1:18701/admin');
      expect(lines[ready + 1]).toContain(backend.database === 'postgres' ? 'Using Postgres at 127.0.0.1:5432/' : 'Using embedded PGlite in ');
      expect(lines[ready + 1]).toContain(backend.redis === 'redis' ? 'Redis at 127.0.0.1:6379' : 'the in-process store');
      expect(server.output()).not.toMatch(/postgres:\/\/[^ ]*@/); // no credentials, ever
      // On the shared real database an admin may exist already (other suites make them).
      if (backend.database === 'pglite') expect(server.output()).toContain('No admin yet: create one with `npx otp-auth create-admin <username> --email <email>`');
      expect(await (await fetch(`${server.base}/`)).json()).toEqual(expect.objectContaining({ docs: '/docs', health: '/health' }));
      const browser = await fetch(`${server.base}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect([browser.status, browser.headers.get('location')]).toEqual([302, '/docs']);
    } finally {
      await server.stop();
    }
  });

  it('creates the first admin from ADMIN_BOOTSTRAP_* when there is none, once, and they can sign in', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const admin = { ADMIN_BOOTSTRAP_USERNAME: `boot_${tag}`, ADMIN_BOOTSTRAP_EMAIL: `boot.${tag}@example.com`, ADMIN_BOOTSTRAP_PASSWORD: `bootstrap-password-${tag}` };
    // Its own database on the embedded default, so "no admin yet" holds; on Postgres other suites'
    // admins may exist, and then nothing is created.
    const env = { ...backends, DATA_DIR: scratch('otp-boot-'), LOG_LEVEL: 'log', ...admin };
    let server = await startServer(env, 18702);
    try {
      if (backend.database === 'pglite') {
        expect(server.output()).toContain(`Created the first admin, ${admin.ADMIN_BOOTSTRAP_USERNAME}`);
        expect(server.output()).not.toContain('No admin yet');
        expect((await adminSignIn(server.base, admin.ADMIN_BOOTSTRAP_USERNAME, admin.ADMIN_BOOTSTRAP_PASSWORD)).cookie).toBeDefined();
      }
      expect(server.output()).not.toContain(admin.ADMIN_BOOTSTRAP_PASSWORD);
    } finally {
      await server.stop();
    }
    server = await startServer(env, 18702);
    try {
      expect(server.output()).not.toContain('Created the first admin');
    } finally {
      await server.stop();
    }
  });

  it('refuses half a bootstrap admin, or a short password, in one line before anything starts', async () => {
    const half = await runUntilExit({ ...backends, DATA_DIR: scratch('otp-boot-'), PORT: String(await freePort()), ADMIN_BOOTSTRAP_USERNAME: 'someone' });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('ADMIN_BOOTSTRAP_USERNAME, ADMIN_BOOTSTRAP_EMAIL, ADMIN_BOOTSTRAP_PASSWORD: set all three, or none');
    const short = await runUntilExit({ ...backends, DATA_DIR: scratch('otp-boot-'), PORT: String(await freePort()), ADMIN_BOOTSTRAP_USERNAME: 'someone', ADMIN_BOOTSTRAP_EMAIL: 'a@example.com', ADMIN_BOOTSTRAP_PASSWORD: 'short' });
    expect(short.stderr).toContain('ADMIN_BOOTSTRAP_PASSWORD: at least ADMIN_PASSWORD_MIN_LENGTH (12) characters');
  });

  it('reads .env from the working directory, with the real environment winning', async () => {
    const cwd = scratch('otp-dotenv-');
    writeFileSync(join(cwd, '.env'), 'OTP_TTL_SECONDS=123\nOTP_RESEND_COOLDOWN_SECONDS=45\n');
    const server = await startServer({ ...backends, DATA_DIR: join(cwd, 'data'), OTP_TTL_SECONDS: '77' }, 18703, { cwd });
    try {
      const res = await fetch(`${server.base}/api/auth/otp/request`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identifier: newEmail(), purpose: 'REGISTER' }) });
      expect(await res.json()).toEqual(expect.objectContaining({ expires_in: 77, resend_after: 45 }));
    } finally {
      await server.stop();
    }
  });

  it('says in one line that the port is taken, and leaves no lock on the data directory', async () => {
    const port = await freePort();
    const taken: Server = createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    const dataDir = scratch('otp-port-');
    try {
      const run = await runUntilExit({ ...backends, DATA_DIR: dataDir, PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(`Port ${port} on 127.0.0.1 is already in use (another server?): stop it, or start this one with another PORT.`);
      expect(run.stdout).not.toMatch(/EADDRINUSE|\n\s+at /);
      expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
    } finally {
      taken.close();
    }
  });
});
