import { createHmac, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { runCli, startServer, type RunningServer } from './support/cli.js';
import { newEmail, newUsername } from './support/factories.js';
import { eventually } from './support/tcp-proxy.js';
import { backend } from './support/test-app.js';

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Another service verifying our tokens on its own, as docs/api.md shows: jose, our JWKS URL, issuer,
 * audience and typ. Against the built server over real HTTP, with the CLI rotating and retiring keys
 * beside it. Keys are re-read every second here (KEYS_REFRESH_SECONDS=1) so the test can wait for it.
 */
describe(`verifying our tokens elsewhere with jose and the JWKS (${backend.database} + ${backend.redis})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'otp-jwks-'));
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    JWKS_MAX_AGE_SECONDS: '1',
    KEYS_REFRESH_SECONDS: '1',
    OTP_RESEND_COOLDOWN_SECONDS: '0',
    OTP_HOURLY_LIMIT: '1000',
  };
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(env, 18621);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = async (path: string, body: object) => {
    const res = await fetch(server.base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const verificationToken = async (identifier: string, purpose: 'REGISTER' | 'LOGIN') => {
    expect((await post('/api/auth/otp/request', { identifier, purpose })).status).toBe(200);
    const otp = await (await fetch(`${server.base}/api/dev/otp?identifier=${encodeURIComponent(identifier)}&purpose=${purpose}`)).text();
    return (await post('/api/auth/otp/verify', { identifier, otp, purpose })).body.verification_token as string;
  };
  const signUp = async () => {
    const identifier = newEmail();
    const registered = await post('/api/auth/register', {
      identifier,
      username: newUsername(),
      verification_token: await verificationToken(identifier, 'REGISTER'),
    });
    expect(registered.status).toBe(201);
    return { identifier, access: registered.body.access as string, refresh: registered.body.refresh as string };
  };
  const logIn = async (identifier: string) =>
    (await post('/api/auth/login', { identifier, verification_token: await verificationToken(identifier, 'LOGIN') })).body.access as string;
  const meStatus = async (token: string) =>
    (await fetch(`${server.base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  // What a downstream service does; a fresh key set each time, so no cache hides a change.
  const verifyElsewhere = (token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${server.base}/.well-known/jwks.json`)), {
      issuer: 'otp-auth',
      audience: 'otp-auth-clients',
      typ: 'at+jwt',
    });

  it('verifies a token from the seed flow, keeps old tokens through a rotation, and kills them when their key is retired', async () => {
    const before = await signUp();
    const { payload, protectedHeader } = await verifyElsewhere(before.access);
    expect(payload).toEqual(expect.objectContaining({ type: 'access', iss: 'otp-auth', aud: 'otp-auth-clients', sub: expect.any(String) }));
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    const oldKid = protectedHeader.kid!;

    const listed = await runCli(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${oldKid}\\s+ES256\\s+current`));

    // The next key must have been published for JWKS_MAX_AGE_SECONDS + KEYS_REFRESH_SECONDS first.
    let rotated = await runCli(['keys', 'rotate'], env);
    await eventually(async () => {
      if (rotated.code === 0) return true;
      expect(rotated.stderr).toContain('KEY_NOT_READY');
      rotated = await runCli(['keys', 'rotate'], env);
      return rotated.code === 0;
    }, 20_000);
    expect(rotated.stdout).toContain(`${oldKid} still verifies`);

    // The server picks the new signer up by itself; the old token is still good everywhere.
    let after = '';
    await eventually(async () => {
      after = await logIn(before.identifier);
      return decodeProtectedHeader(after).kid !== oldKid;
    });
    expect((await verifyElsewhere(after)).protectedHeader.kid).not.toBe(oldKid);
    await expect(verifyElsewhere(before.access)).resolves.toBeDefined();
    expect(await meStatus(before.access)).toBe(200);
    expect((await runCli(['keys', 'list'], env)).stdout).toMatch(new RegExp(`${oldKid}\\s+ES256\\s+previous`));

    const unconfirmed = await runCli(['keys', 'retire', oldKid], env);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('--yes');
    expect(await meStatus(before.access)).toBe(200);
    const retired = await runCli(['keys', 'retire', oldKid, '--yes'], env);
    expect(retired).toMatchObject({ code: 0, stdout: expect.stringContaining(`Retired ${oldKid} (was previous)`) });

    await eventually(async () => (await meStatus(before.access)) === 401);
    await expect(verifyElsewhere(before.access)).rejects.toThrow(/no applicable key found in the JSON Web Key Set/);
    await expect(verifyElsewhere(after)).resolves.toBeDefined();
    expect(await meStatus(after)).toBe(200);
  });

  it('refuses hostile tokens in jose and at /me alike', async () => {
    const user = await signUp();
    const [headerPart, payloadPart, signature] = user.access.split('.');
    const header = decodeProtectedHeader(user.access);
    const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString());
    const jwk = ((await (await fetch(`${server.base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.find(
      (k) => k.kid === header.kid,
    )!;
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const hmac = (h: object, secret: string) => {
      const unsigned = `${b64url(h)}.${payloadPart}`;
      return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
    };
    const hostile = {
      'tampered payload': `${headerPart}.${b64url({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${signature}`,
      'unknown kid': `${b64url({ ...header, kid: 'not-one-of-ours' })}.${payloadPart}.${signature}`,
      'alg none': `${b64url({ alg: 'none', typ: 'at+jwt', kid: header.kid })}.${payloadPart}.`,
      'HS256 keyed with our public key (PEM)': hmac({ alg: 'HS256', typ: 'at+jwt', kid: header.kid }, pem),
      'HS256 keyed with our public key (JWK)': hmac({ alg: 'HS256', typ: 'at+jwt', kid: header.kid }, JSON.stringify(jwk)),
      'a refresh token': user.refresh,
    };
    for (const [name, token] of Object.entries(hostile)) {
      expect({ name, me: await meStatus(token) }).toEqual({ name, me: 401 });
      await expect(verifyElsewhere(token)).rejects.toThrow();
    }
    expect(await meStatus(user.access)).toBe(200);
  });

  it('refuses to start with another key-encryption key, with one clear line', async () => {
    // Same database (and, on the embedded default, the same DATA_DIR), another KEK.
    await server.stop();
    try {
      const failure = (await startServer({ ...env, KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 'another').toString('base64') }, 18622).catch(
        (error: Error) => error,
      )) as Error;
      expect(failure.message).toMatch(
        /server did not start \(exit 1\):\n(.*\n)*KEYS_ENCRYPTION_KEY does not decrypt signing key \S+ stored in the database/,
      );
      expect(failure.message).not.toMatch(/^\s+at /m); // no stack trace
    } finally {
      server = await startServer(env, 18621);
    }
  });
});
