import { ConfigError, loadConfig } from './app-config.js';

const secrets = { JWT_SECRET: 'j'.repeat(32), OTP_SECRET: 'o'.repeat(32) };

describe('loadConfig', () => {
  it('defaults to the embedded backends and the documented rules', () => {
    const config = loadConfig({ PGLITE_MEMORY: '1', ...secrets });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: undefined, migrationsRun: true });
    expect(config.redis).toEqual({ kind: 'memory' });
    expect(config.http.port).toBe(8010);
    expect(config.otp).toEqual(
      expect.objectContaining({
        length: 6,
        ttlSeconds: 300,
        maxAttempts: 5,
        resendCooldownSeconds: 60,
        hourlyLimit: 10,
        verificationTtlSeconds: 600,
      }),
    );
    expect(config.jwt).toEqual(expect.objectContaining({ accessTtlSeconds: 900, refreshTtlSeconds: 604800 }));
  });

  it('keeps the CAPTCHA off by default, and on asks for its secret and defaults to the provider’s siteverify and REGISTER, LOGIN', () => {
    expect(loadConfig({ PGLITE_MEMORY: '1', ...secrets }).captcha).toBeUndefined();
    expect(() => loadConfig({ PGLITE_MEMORY: '1', ...secrets, CAPTCHA_PROVIDER: 'hcaptcha' })).toThrow(/CAPTCHA_SECRET_KEY/);
    expect(() => loadConfig({ PGLITE_MEMORY: '1', ...secrets, CAPTCHA_PROVIDER: 'friendly' })).toThrow(/CAPTCHA_PROVIDER/);
    expect(loadConfig({ PGLITE_MEMORY: '1', ...secrets, CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET_KEY: 's' }).captcha).toEqual({
      provider: 'turnstile',
      secretKey: 's',
      verifyUrl: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
      expectedHostname: undefined,
      timeoutMs: 3000,
      failOpen: false,
      purposes: ['REGISTER', 'LOGIN'],
    });
    expect(() => loadConfig({ PGLITE_MEMORY: '1', ...secrets, CAPTCHA_PURPOSES: 'REGISTER,SIGNUP' })).toThrow(/CAPTCHA_PURPOSES/);
  });

  it('reads BODY_LIMIT in bytes, with b, kb and mb as powers of 1024, and refuses anything else', () => {
    const limit = (BODY_LIMIT: string) => loadConfig({ PGLITE_MEMORY: '1', ...secrets, BODY_LIMIT }).http.bodyLimitBytes;
    expect([limit('16kb'), limit('512'), limit('2MB'), limit('100b')]).toEqual([16384, 512, 2097152, 100]);
    expect(loadConfig({ PGLITE_MEMORY: '1', ...secrets }).http.bodyLimitBytes).toBe(16384);
    expect(() => limit('1gb')).toThrow(/BODY_LIMIT/);
  });

  it('selects Postgres and Redis from their URLs', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db/app', REDIS_URL: 'redis://cache:6379/0', ...secrets });
    expect(config.database).toEqual(expect.objectContaining({ kind: 'postgres', url: 'postgres://u@db/app' }));
    expect(config.redis).toEqual(expect.objectContaining({ kind: 'redis', target: { url: 'redis://cache:6379/0' } }));
  });

  it('selects a Redis Cluster from some of its nodes, and refuses it together with REDIS_URL or malformed', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,rediss://u:p@10.0.0.2:7001', ...secrets, PGLITE_MEMORY: '1' });
    expect(config.redis).toEqual(
      expect.objectContaining({ kind: 'redis', target: { clusterNodes: ['redis://10.0.0.1:7000', 'rediss://u:p@10.0.0.2:7001'] } }),
    );
    expect(config.delivery.queue).toEqual(expect.objectContaining({ kind: 'redis', prefix: '{otp-delivery}' }));
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: 'redis://b', ...secrets, PGLITE_MEMORY: '1' })).toThrow(
      /REDIS_CLUSTER_NODES: set either/,
    );
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:1, b', ...secrets, PGLITE_MEMORY: '1' })).toThrow(
      /REDIS_CLUSTER_NODES must be a comma-separated list/,
    );
  });

  it('allows several HTTP workers only on shared servers, with their metrics on a port of their own', () => {
    expect(() => loadConfig({ HTTP_WORKERS: '2', ...secrets, PGLITE_MEMORY: '1' })).toThrow(
      /HTTP_WORKERS: more than one needs DATABASE_URL and REDIS_URL/,
    );
    const shared = { DATABASE_URL: 'postgres://db/app', REDIS_URL: 'redis://cache', HTTP_WORKERS: '2', ...secrets };
    expect(() => loadConfig(shared)).toThrow(/METRICS_PORT: needed with HTTP_WORKERS > 1/);
    expect(loadConfig({ ...shared, METRICS_PORT: '9464' }).http.workers).toBe(2);
  });

  it('refuses to start in production without both servers, the secrets, a metrics token and a real delivery channel', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (error) {
      const message = (error as Error).message;
      for (const name of [
        'DATABASE_URL',
        'REDIS_URL',
        'KEYS_ENCRYPTION_KEY',
        'OTP_SECRET',
        'ADMIN_SESSION_SECRET',
        'DELIVERY_CHANNEL',
        'METRICS_TOKEN',
      ])
        expect(message).toContain(name);
      // ES256 by default: no shared JWT secret is needed.
      expect(message).not.toContain('JWT_SECRET');
    }
  });

  it('asks for JWT_SECRET in production only with HS256, and for a 32-byte key-encryption key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_ALGORITHM: 'HS256' })).toThrow(
      /JWT_SECRET: required in production with JWT_ALGORITHM=HS256/,
    );
    expect(() => loadConfig({ KEYS_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64'), ...secrets, PGLITE_MEMORY: '1' })).toThrow(
      /KEYS_ENCRYPTION_KEY: must be 32 bytes/,
    );
    const config = loadConfig({ KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), ...secrets, PGLITE_MEMORY: '1' });
    expect(config.keys).toEqual({
      encryptionKey: Buffer.alloc(32, 7),
      encryptionKeyGenerated: false,
      jwksMaxAgeSeconds: 300,
      refreshSeconds: 10,
    });
    expect(config.jwt.algorithm).toBe('ES256');
  });

  it('needs a live channel to have something to send with, and accepts it in production', () => {
    expect(() => loadConfig({ DELIVERY_CHANNEL: 'live', ...secrets, PGLITE_MEMORY: '1' })).toThrow(/DELIVERY_CHANNEL: live needs SMTP_URL/);
    expect(() =>
      loadConfig({ DELIVERY_CHANNEL: 'live', SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', ...secrets, PGLITE_MEMORY: '1' }),
    ).toThrow(/twilio needs/);
    const config = loadConfig({ DELIVERY_CHANNEL: 'live', SMTP_URL: 'smtps://u:p@mail.example.com:465', ...secrets, PGLITE_MEMORY: '1' });
    expect(config.delivery).toEqual(
      expect.objectContaining({
        channel: 'live',
        locale: 'en',
        smtp: expect.objectContaining({ url: 'smtps://u:p@mail.example.com:465' }),
        sms: undefined,
      }),
    );
    const production = {
      NODE_ENV: 'production',
      DELIVERY_CHANNEL: 'live',
      SMTP_URL: 'smtp://mail:587',
      DATABASE_URL: 'postgres://db/app',
      REDIS_URL: 'redis://cache',
      METRICS_TOKEN: 'a-long-metrics-token',
    };
    expect(() =>
      loadConfig({
        ...production,
        ...secrets,
        ADMIN_SESSION_SECRET: 'a'.repeat(32),
        KEYS_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
      }),
    ).not.toThrow();
  });

  it('refuses a JWT secret shorter than 32 characters and names every bad variable at once', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short', OTP_LENGTH: '99', PORT: 'eighty' })).toThrow(
      /JWT_SECRET[\s\S]*OTP_LENGTH|OTP_LENGTH[\s\S]*JWT_SECRET/,
    );
    expect(() => loadConfig({ PORT: 'eighty', ...secrets, PGLITE_MEMORY: '1' })).toThrow(/PORT/);
  });
});
