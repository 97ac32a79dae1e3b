import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminSignIn } from './support/admin-fixture.js';
import { cleanEnv, freePort, runCli, runServerToExit, startServer } from './support/cli.js';
import { newEmail } from './support/factories.js';
import { eventually } from './support/tcp-proxy.js';
import { backend } from './support/test-app.js';

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
      // Logs are written out a little after the server answers: wait for the last line of the start.
      await eventually(
        async () => server.output().includes('Using ') && (backend.database !== 'pglite' || server.output().includes('No admin yet')),
      );
      const lines = server.output().trim().split('\n');
      const ready = lines.findIndex((line) => line.includes('Ready (NODE_ENV=development)'));
      expect(lines[ready]).toContain(
        'API http://127.0.0.1:18701/api · Swagger UI http://127.0.0.1:18701/docs · admin panel http://127.0.0.1:18701/admin',
      );
      expect(lines[ready + 1]).toContain(
        backend.database === 'postgres' ? 'Using Postgres at 127.0.0.1:5432/' : 'Using the embedded database in ',
      );
      expect(lines[ready + 1]).toContain(backend.redis === 'redis' ? 'Redis at 127.0.0.1:6379' : 'the in-process store');
      expect(server.output()).not.toMatch(/postgres:\/\/[^ ]*@/); // no credentials, ever
      // Routes are logged where they are served: the JWKS and health sit outside the /api prefix.
      expect(server.output()).toContain('Mapped {/.well-known/jwks.json, GET} route');
      expect(server.output()).toContain('Mapped {/health, GET} route');
      expect(server.output()).not.toMatch(/\/api\/(\.well-known|health)/);
      // On the shared real database an admin may exist already (other suites make them).
      if (backend.database === 'pglite')
        expect(server.output()).toContain('No admin yet: create one with `npx otp-auth create-admin <username> --email <email>`');
      expect(await (await fetch(`${server.base}/`)).json()).toEqual(expect.objectContaining({ docs: '/docs', health: '/health' }));
      const browser = await fetch(`${server.base}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect([browser.status, browser.headers.get('location')]).toEqual([302, '/docs']);
    } finally {
      await server.stop();
    }
  });

  it('creates the first admin from ADMIN_BOOTSTRAP_* when there is none, once, and they can sign in', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const admin = {
      ADMIN_BOOTSTRAP_USERNAME: `boot_${tag}`,
      ADMIN_BOOTSTRAP_EMAIL: `boot.${tag}@example.com`,
      ADMIN_BOOTSTRAP_PASSWORD: `bootstrap-password-${tag}`,
    };
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
    const half = await runServerToExit({
      ...backends,
      DATA_DIR: scratch('otp-boot-'),
      PORT: String(await freePort()),
      ADMIN_BOOTSTRAP_USERNAME: 'someone',
    });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('ADMIN_BOOTSTRAP_USERNAME, ADMIN_BOOTSTRAP_EMAIL, ADMIN_BOOTSTRAP_PASSWORD: set all three, or none');
    const short = await runServerToExit({
      ...backends,
      DATA_DIR: scratch('otp-boot-'),
      PORT: String(await freePort()),
      ADMIN_BOOTSTRAP_USERNAME: 'someone',
      ADMIN_BOOTSTRAP_EMAIL: 'a@example.com',
      ADMIN_BOOTSTRAP_PASSWORD: 'short',
    });
    expect(short.stderr).toContain('ADMIN_BOOTSTRAP_PASSWORD: at least ADMIN_PASSWORD_MIN_LENGTH (12) characters');
  });

  it('has the CLI say which backends it uses, and refuse others than a running server’s', async () => {
    const dataDir = scratch('otp-clibeside-');
    const server = await startServer({ ...backends, DATA_DIR: dataDir }, 18704);
    try {
      const same = await runCli(['users', 'list', '--limit', '1'], { ...backends, DATA_DIR: dataDir });
      expect(same.code).toBe(0);
      expect(same.stderr).toMatch(
        backend.database === 'postgres' ? /^Using Postgres at 127\.0\.0\.1:5432\/\S+ and / : /^Using the embedded database in /,
      );
      // The same DATA_DIR, but another database: refused before anything is opened.
      const other = await runCli(['users', 'list'], {
        ...backends,
        DATA_DIR: dataDir,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/elsewhere',
      });
      expect(other.code).toBe(1);
      const [, serverBackends, cliBackends] =
        /^A server \(pid (?:\d+)\) is running on (.+); this command would use (.+)\. Run it with the server's DATABASE_URL and REDIS_URL, or stop the server\.$/.exec(
          other.stderr.trim(),
        ) ?? [];
      expect(other.stderr).toContain(`(pid ${server.pid})`);
      expect(serverBackends).toMatch(backend.database === 'postgres' ? /^Postgres at 127\.0\.0\.1:5432\// : /^the embedded database in /);
      expect(cliBackends).toMatch(/^Postgres at 127\.0\.0\.1:1\/elsewhere and /);
      expect(other.stderr).not.toContain('postgres@');
    } finally {
      await server.stop();
    }
  });

  it('runs the built CLI through npx otp-auth’s script with only the command’s answer on stdout', async () => {
    const dataDir = scratch('otp-npx-');
    const username = `adm_${Math.random().toString(36).slice(2, 8)}`;
    for (const args of [['migrate'], ['create-admin', username, '--email', `${username}@example.com`]])
      expect((await runCli(args, { ...backends, DATA_DIR: dataDir })).code).toBe(0);
    const child = spawn(process.execPath, [new URL('../scripts/otp-auth.mjs', import.meta.url).pathname, 'admin-token', username], {
      env: cleanEnv({ ...backends, DATA_DIR: dataDir }),
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/); // the token, and nothing else
  });

  it('reads .env from the working directory, with the real environment winning', async () => {
    const cwd = scratch('otp-dotenv-');
    writeFileSync(join(cwd, '.env'), 'OTP_TTL_SECONDS=123\nOTP_RESEND_COOLDOWN_SECONDS=45\n');
    const server = await startServer({ ...backends, DATA_DIR: join(cwd, 'data'), OTP_TTL_SECONDS: '77' }, 18703, { cwd });
    try {
      const res = await fetch(`${server.base}/api/auth/otp/request`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: newEmail(), purpose: 'REGISTER' }),
      });
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
      const run = await runServerToExit({ ...backends, DATA_DIR: dataDir, PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        `Port ${port} on 127.0.0.1 is already in use (another server?): stop it, or start this one with another PORT.`,
      );
      expect(run.stdout).not.toMatch(/EADDRINUSE|\n\s+at /);
      expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
    } finally {
      taken.close();
    }
  });
});
