import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { signUp } from '../../bench/flow.mjs';
import { runCli, startServer } from './cli.js';

export interface AdminFixture {
  base: string;
  /** The environment the server runs with, for running the CLI beside it. */
  env: Record<string, string | undefined>;
  admin: { username: string; password: string };
  /** A user from the seed flow, with a password but not an admin. */
  member: { username: string; identifier: string; id: string; access: string; password: string };
  stop(): Promise<void>;
}

/**
 * The built server (admin panel included) on this run's backends, with an admin made by the CLI
 * and a member who signed up through the seed flow. On the embedded default the CLI and the server
 * take turns on the data directory, as a person would. `serverEnv` applies once the member exists.
 */
export async function startAdminFixture(port: number, serverEnv: Record<string, string> = {}): Promise<AdminFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'otp-admin-'));
  // Keys may rotate a second after the next one is published (the test rotates from the panel).
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    OTP_RESEND_COOLDOWN_SECONDS: '0',
    JWKS_MAX_AGE_SECONDS: '0',
    KEYS_REFRESH_SECONDS: '1',
  };
  const tag = randomBytes(4).toString('hex');
  const admin = { username: `adm_${tag}`, password: `admin-password-${tag}` };
  const memberPassword = `member-password-${tag}`;

  let server = await startServer(env, port);
  const member = await signUpThroughHttp(server.base, `member.${tag}@example.com`, `mem_${tag}`);
  await server.stop();

  for (const args of [
    ['create-admin', admin.username, '--email', `${admin.username}@example.com`, '--password', admin.password],
    ['set-password', member.username, '--password', memberPassword],
  ]) {
    const result = await runCli(args, env);
    if (result.code !== 0) throw new Error(`cli ${args[0]} failed: ${result.stderr}`);
  }

  // The member signed up through the development outbox; from here on the server runs as the test asks.
  Object.assign(env, serverEnv);
  server = await startServer(env, port);
  return {
    base: server.base,
    env,
    admin,
    member: { ...member, password: memberPassword },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The seed's sign-up over HTTP against a running server (the benchmark's own), the code read from /api/dev/otp. */
export async function signUpThroughHttp(base: string, identifier: string, username: string) {
  const codeOf = async (id: string, purpose: string) =>
    (await fetch(`${base}/api/dev/otp?identifier=${encodeURIComponent(id)}&purpose=${purpose}`)).text();
  return { username, identifier, ...(await signUp(base, identifier, username, codeOf)) };
}

/** Signs in to /admin; returns the session cookie, or undefined when refused (and the page). */
export async function adminSignIn(
  base: string,
  login: string,
  password: string,
): Promise<{ cookie?: string; status: number; page: string }> {
  const form = new FormData();
  form.set('email', login);
  form.set('password', password);
  const res = await fetch(`${base}/admin/login`, { method: 'POST', body: form, redirect: 'manual' });
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = res.status === 302 ? setCookie.split(';')[0] : undefined;
  return { cookie, status: res.status, page: await res.text() };
}
