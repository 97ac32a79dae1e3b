import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServer } from './support/cli.js';

// The embedded default: the CLI opens the PGlite data directory itself when no server holds it,
// and goes through the running server's loopback socket while one does.
describe('management CLI on the embedded default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'otp-cli-'));
  const env = { DATA_DIR: dataDir };
  const cli = (args: string[], input?: string) => runCli(args, env, input);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('migrates, creates an admin, sets its password from stdin and lists it', async () => {
    expect(await cli(['migrate'])).toEqual(
      expect.objectContaining({ code: 0, stdout: expect.stringMatching(/Applied: InitialSchema\d+, AuditAndDevOutbox\d+/) }),
    );
    expect((await cli(['migrate'])).stdout).toContain('No pending migrations.');
    const created = await cli(['create-admin', 'janak', '--email', 'Janak@Example.com']);
    expect(created).toEqual(
      expect.objectContaining({ code: 0, stdout: expect.stringContaining('Created admin janak <janak@example.com>') }),
    );
    expect((await cli(['create-admin', 'janak', '--email', 'janak@example.com'])).stdout).toContain('already exists');
    const weak = await cli(['set-password', 'janak'], 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('PASSWORD_TOO_WEAK');
    expect(await cli(['set-password', 'janak'], 'a-long-enough-password\n')).toEqual(expect.objectContaining({ code: 0 }));
    const list = await cli(['users', 'list']);
    expect(list.stdout).toMatch(/janak\s+janak@example\.com\s+admin\s+yes/);
  });

  it('works beside a running server through its loopback socket, and alone once it stops', async () => {
    const minted = await cli(['admin-token', 'janak', '--ttl', '10m']);
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    const server = await startServer(env, 18531);
    const post = (path: string, body: object) =>
      fetch(`${server.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      const me = await fetch(`${server.base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual(expect.objectContaining({ username: 'janak', role: 'admin' }));
      // The seed's step 11: the token is good for the admin API (what Swagger's Authorize sends).
      const users = await fetch(`${server.base}/api/admin/users?search=janak`, { headers: { authorization: `Bearer ${token}` } });
      expect(users.status).toBe(200);
      expect(((await users.json()) as { items: unknown[] }).items).toEqual([expect.objectContaining({ username: 'janak', role: 'admin' })]);

      // The CLI reads what the server just wrote, and the server sees what the CLI changes at once.
      await post('/api/auth/otp/request', { identifier: 'janak@example.com', purpose: 'LOGIN' });
      const live = await cli(['otp', 'peek', 'LOGIN', 'janak@example.com']);
      expect(live).toEqual(expect.objectContaining({ code: 0, stdout: expect.stringMatching(/^\d{6}\n$/) }));
      expect((await cli(['users', 'block', 'janak'])).code).toBe(0);
      expect((await fetch(`${server.base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      expect((await cli(['users', 'unblock', 'janak'])).code).toBe(0);

      // And the server goes on serving after the CLI has come and gone.
      await post('/api/auth/otp/request', { identifier: 'after.cli@example.com', purpose: 'REGISTER' }).then((r) =>
        expect(r.status).toBe(200),
      );
      const verified = await post('/api/auth/otp/verify', {
        identifier: 'after.cli@example.com',
        otp: (await cli(['otp', 'peek', 'REGISTER', 'after.cli@example.com'])).stdout.trim(),
        purpose: 'REGISTER',
      });
      expect(verified.status).toBe(200);
    } finally {
      await server.stop();
    }
    // With the server stopped, the CLI opens the data directory itself.
    const peek = await cli(['otp', 'peek', 'login', 'janak@example.com']);
    expect(peek).toEqual(expect.objectContaining({ code: 0, stdout: expect.stringMatching(/^\d{6}\n$/) }));
  });

  it('refuses a second server on the same data directory', async () => {
    const server = await startServer(env, 18532);
    try {
      await expect(startServer(env, 18533)).rejects.toThrow(/did not start/);
    } finally {
      await server.stop();
    }
  });

  it('fails with a clear message and a non-zero exit on bad input', async () => {
    const unknown = await cli(['users', 'block', 'nobody']);
    expect(unknown).toEqual(
      expect.objectContaining({ code: 1, stderr: expect.stringContaining('No user named "nobody". (USER_NOT_FOUND)') }),
    );
    expect((await cli(['admin-token', 'janak', '--ttl', 'forever'])).code).toBe(1);
    expect((await cli(['otp', 'peek', 'RESET', 'janak@example.com'])).code).toBe(1);
    expect((await cli(['users'])).code).toBe(1);
    const help = await cli(['--help']);
    for (const command of ['set-password', 'create-admin', 'admin-token', 'otp', 'users', 'sessions', 'migrate'])
      expect(help.stdout).toContain(command);
  });
});
