import { existsSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { CountryCode } from 'libphonenumber-js';
import { EnvironmentVariables } from './environment.js';
import { loadDevelopmentSecrets } from './development-secrets.js';

/** Each provider's siteverify endpoint (form POST of secret, response, remoteip; JSON answer with `success`). */
const CAPTCHA_VERIFY_URLS = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
  recaptcha: 'https://www.google.com/recaptcha/api/siteverify',
} as const;

/** One Redis (REDIS_URL), or a Redis Cluster given by some of its nodes as redis:// URLs (REDIS_CLUSTER_NODES). */
export type RedisTarget = { url: string } | { clusterNodes: string[] };

/** The typed configuration every module receives; built once at start-up by {@link loadConfig}. */
export class AppConfig {
  readonly env!: 'development' | 'production' | 'test';
  /** DATA_DIR: the embedded database, development secrets, and the running server's record. */
  readonly dataDir!: string;
  readonly http!: {
    workers: number;
    port: number;
    host: string;
    bodyLimitBytes: number;
    corsOrigins: string[];
    logLevel: string;
    logFormat: 'json' | 'pretty';
    trustProxy: boolean | number | string;
    shutdownDrainDelayMs: number;
    shutdownGraceMs: number;
  };
  readonly rateLimits!: { otpRequest: number; otpVerify: number; signIn: number; admin: number };
  readonly database!:
    | {
        kind: 'postgres';
        url: string;
        poolSize: number;
        connectTimeoutMs: number;
        statementTimeoutMs: number;
        migrationsRun: boolean;
        preparedStatements: boolean;
      }
    | { kind: 'pglite'; dataDir: string | undefined; migrationsRun: boolean };
  readonly redis!: { kind: 'redis'; target: RedisTarget; commandTimeoutMs: number } | { kind: 'memory' };
  readonly jwt!: {
    algorithm: 'ES256' | 'RS256' | 'HS256';
    secret: string;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  readonly webhooks!: {
    endpoints: { url: string; secret: string; events: string[] }[];
    timeoutMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    pollMs: number;
  };
  readonly keys!: {
    /** AES-256-GCM key-encryption key for the private signing keys. */
    encryptionKey: Buffer;
    /** True when it came from DATA_DIR (development), not from KEYS_ENCRYPTION_KEY. */
    encryptionKeyGenerated: boolean;
    jwksMaxAgeSeconds: number;
    refreshSeconds: number;
  };
  readonly otp!: {
    secret: string;
    length: number;
    ttlSeconds: number;
    maxAttempts: number;
    resendCooldownSeconds: number;
    hourlyLimit: number;
    failuresBeforeLockout: number;
    lockoutSeconds: number;
    verificationTtlSeconds: number;
    phoneDefaultCountry: CountryCode | undefined;
    /** Empty: every country. */
    smsAllowedCountries: string[];
    smsBlockedPrefixes: string[];
    smsBudget: { perHour: number; perCountryPerHour: number };
  };
  /** Off when undefined. */
  readonly captcha!:
    | {
        provider: 'turnstile' | 'hcaptcha' | 'recaptcha';
        secretKey: string;
        verifyUrl: string;
        expectedHostname: string | undefined;
        timeoutMs: number;
        failOpen: boolean;
        purposes: string[];
      }
    | undefined;
  readonly metrics!: { enabled: boolean; token: string | undefined; port: number | undefined };
  readonly delivery!: {
    channel: 'dev' | 'live';
    productName: string;
    locale: 'en' | 'de';
    timeoutMs: number;
    smtp: { url: string; from: string } | undefined;
    sms:
      | { provider: 'twilio'; accountSid: string; authToken: string; from?: string; messagingServiceSid?: string; apiUrl: string }
      | { provider: 'webhook'; url: string; secret: string }
      | undefined;
    maxAttempts: number;
    retryBaseMs: number;
    /** Where the queue lives: Redis when there is one, else in this process. */
    queue: { kind: 'redis'; prefix: string; runWorker: boolean; concurrency: number } | { kind: 'in-process' };
    degradedBacklog: number;
    degradedFailures: number;
  };
  readonly users!: { cacheSeconds: number };
  readonly admin!: {
    passwordMinLength: number;
    sessionSecret: string;
    sessionTtlSeconds: number;
    maxFailedSignInsPerAccount: number;
    maxFailedSignInsPerIp: number;
    /** ADMIN_BOOTSTRAP_*: the admin to create at start-up if there is none. */
    bootstrap: { username: string; email: string; password: string } | undefined;
  };

  get isProduction(): boolean {
    return this.env === 'production';
  }
}

export class ConfigError extends Error {}

/**
 * The process's environment after `.env` in the working directory, when there is one (as
 * `cp .env.example .env` expects): a variable the real environment sets wins over the file's.
 */
function processEnvironment(): NodeJS.ProcessEnv {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return process.env;
}

/**
 * Validates the environment (given, or the process's with `.env`) and returns the typed config,
 * or throws a ConfigError listing every problem at once. `PGLITE_MEMORY=1` is for tests only: an in-memory PGlite with nothing on disk.
 */
export function loadConfig(source?: NodeJS.ProcessEnv): AppConfig {
  source ??= processEnvironment();
  const defined = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(EnvironmentVariables, defined, { exposeDefaultValues: true });
  const problems = validateSync(env, { whitelist: false }).flatMap((e) =>
    Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m}`),
  );
  const production = env.NODE_ENV === 'production';
  if (env.HTTP_WORKERS > 1 && (!env.DATABASE_URL || !(env.REDIS_URL || env.REDIS_CLUSTER_NODES))) {
    problems.push('HTTP_WORKERS: more than one needs DATABASE_URL and REDIS_URL (the embedded database and store belong to one process)');
  }
  if (env.HTTP_WORKERS > 1 && env.METRICS_ENABLED && env.METRICS_PORT === undefined) {
    problems.push(
      "METRICS_PORT: needed with HTTP_WORKERS > 1 (the supervisor serves the workers' summed metrics there), or METRICS_ENABLED=false",
    );
  }
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES)
    problems.push('REDIS_CLUSTER_NODES: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both');
  const redisTarget: RedisTarget | undefined = env.REDIS_CLUSTER_NODES
    ? { clusterNodes: env.REDIS_CLUSTER_NODES.split(',').map((node) => (node.includes('://') ? node : `redis://${node}`)) }
    : env.REDIS_URL
      ? { url: env.REDIS_URL }
      : undefined;
  if (production) {
    if (!env.DATABASE_URL) problems.push('DATABASE_URL: required in production');
    if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) problems.push('REDIS_URL (or REDIS_CLUSTER_NODES): required in production');
    if (env.METRICS_ENABLED && !env.METRICS_TOKEN) problems.push('METRICS_TOKEN: required in production (or METRICS_ENABLED=false)');
    if (env.JWT_ALGORITHM === 'HS256' && !env.JWT_SECRET)
      problems.push('JWT_SECRET: required in production with JWT_ALGORITHM=HS256 (at least 32 characters)');
    if (env.JWT_ALGORITHM !== 'HS256' && !env.KEYS_ENCRYPTION_KEY)
      problems.push('KEYS_ENCRYPTION_KEY: required in production (32 random bytes, base64: openssl rand -base64 32)');
    if (!env.OTP_SECRET) problems.push('OTP_SECRET: required in production (at least 32 characters)');
    if (!env.ADMIN_SESSION_SECRET) problems.push('ADMIN_SESSION_SECRET: required in production (at least 32 characters)');
    if (env.DELIVERY_CHANNEL === 'dev') problems.push('DELIVERY_CHANNEL: the development channel logs codes and is refused in production');
  }
  if (env.KEYS_ENCRYPTION_KEY && Buffer.from(env.KEYS_ENCRYPTION_KEY, 'base64').length !== 32) {
    problems.push('KEYS_ENCRYPTION_KEY: must be 32 bytes, base64-encoded (openssl rand -base64 32)');
  }
  const webhookEndpoints = parseWebhookEndpoints(env.WEBHOOK_ENDPOINTS, problems);
  const bootstrap = [env.ADMIN_BOOTSTRAP_USERNAME, env.ADMIN_BOOTSTRAP_EMAIL, env.ADMIN_BOOTSTRAP_PASSWORD];
  if (bootstrap.some(Boolean) && !bootstrap.every(Boolean))
    problems.push('ADMIN_BOOTSTRAP_USERNAME, ADMIN_BOOTSTRAP_EMAIL, ADMIN_BOOTSTRAP_PASSWORD: set all three, or none');
  if (env.ADMIN_BOOTSTRAP_PASSWORD && [...env.ADMIN_BOOTSTRAP_PASSWORD].length < env.ADMIN_PASSWORD_MIN_LENGTH) {
    problems.push(`ADMIN_BOOTSTRAP_PASSWORD: at least ADMIN_PASSWORD_MIN_LENGTH (${env.ADMIN_PASSWORD_MIN_LENGTH}) characters`);
  }
  if (env.DELIVERY_CHANNEL === 'live' && !env.SMTP_URL && !env.SMS_PROVIDER)
    problems.push('DELIVERY_CHANNEL: live needs SMTP_URL (email), SMS_PROVIDER (phone numbers), or both');
  if (
    env.SMS_PROVIDER === 'twilio' &&
    (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN || !(env.TWILIO_FROM || env.TWILIO_MESSAGING_SERVICE_SID))
  ) {
    problems.push('SMS_PROVIDER: twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID');
  }
  if (env.SMS_PROVIDER === 'webhook' && (!env.SMS_WEBHOOK_URL || !env.SMS_WEBHOOK_SECRET))
    problems.push('SMS_PROVIDER: webhook needs SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET');
  if (env.CAPTCHA_PROVIDER && !env.CAPTCHA_SECRET_KEY) problems.push(`CAPTCHA_PROVIDER: ${env.CAPTCHA_PROVIDER} needs CAPTCHA_SECRET_KEY`);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);

  const pgliteInMemory = source.PGLITE_MEMORY === '1';
  const secrets =
    env.JWT_SECRET && env.OTP_SECRET && env.ADMIN_SESSION_SECRET && env.KEYS_ENCRYPTION_KEY
      ? {
          jwtSecret: env.JWT_SECRET,
          otpSecret: env.OTP_SECRET,
          adminSessionSecret: env.ADMIN_SESSION_SECRET,
          keysEncryptionKey: env.KEYS_ENCRYPTION_KEY,
        }
      : loadDevelopmentSecrets(env.DATA_DIR, pgliteInMemory);

  return Object.assign(new AppConfig(), {
    env: env.NODE_ENV,
    dataDir: env.DATA_DIR,
    http: {
      workers: env.HTTP_WORKERS,
      port: env.PORT,
      host: env.HOST,
      bodyLimitBytes: parseBytes(env.BODY_LIMIT),
      corsOrigins: env.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      logLevel: env.LOG_LEVEL,
      logFormat: (env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json')) as 'json' | 'pretty',
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      shutdownDrainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    },
    metrics: { enabled: env.METRICS_ENABLED, token: env.METRICS_TOKEN, port: env.METRICS_PORT },
    captcha: env.CAPTCHA_PROVIDER
      ? {
          provider: env.CAPTCHA_PROVIDER as 'turnstile' | 'hcaptcha' | 'recaptcha',
          secretKey: env.CAPTCHA_SECRET_KEY!,
          verifyUrl: env.CAPTCHA_VERIFY_URL ?? CAPTCHA_VERIFY_URLS[env.CAPTCHA_PROVIDER as 'turnstile' | 'hcaptcha' | 'recaptcha'],
          expectedHostname: env.CAPTCHA_EXPECTED_HOSTNAME || undefined,
          timeoutMs: env.CAPTCHA_TIMEOUT_MS,
          failOpen: env.CAPTCHA_FAIL_OPEN,
          purposes: env.CAPTCHA_PURPOSES.split(','),
        }
      : undefined,
    rateLimits: {
      otpRequest: env.RATE_LIMIT_OTP_REQUESTS_PER_IP,
      otpVerify: env.RATE_LIMIT_OTP_VERIFIES_PER_IP,
      signIn: env.RATE_LIMIT_SIGN_INS_PER_IP,
      admin: env.RATE_LIMIT_ADMIN_REQUESTS_PER_IP,
    },
    database: env.DATABASE_URL
      ? {
          kind: 'postgres',
          url: env.DATABASE_URL,
          poolSize: env.DB_POOL_SIZE,
          connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
          statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
          migrationsRun: env.DB_MIGRATIONS_RUN,
          preparedStatements: env.DB_PREPARED_STATEMENTS,
        }
      : { kind: 'pglite', dataDir: pgliteInMemory ? undefined : `${env.DATA_DIR}/pglite`, migrationsRun: true },
    redis: redisTarget ? { kind: 'redis', target: redisTarget, commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS } : { kind: 'memory' },
    jwt: {
      algorithm: env.JWT_ALGORITHM as 'ES256' | 'RS256' | 'HS256',
      secret: env.JWT_SECRET ?? secrets.jwtSecret,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    },
    webhooks: {
      endpoints: webhookEndpoints,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
      pollMs: env.WEBHOOK_POLL_MS,
    },
    keys: {
      encryptionKey: Buffer.from(env.KEYS_ENCRYPTION_KEY ?? secrets.keysEncryptionKey, 'base64'),
      encryptionKeyGenerated: !env.KEYS_ENCRYPTION_KEY,
      jwksMaxAgeSeconds: env.JWKS_MAX_AGE_SECONDS,
      refreshSeconds: env.KEYS_REFRESH_SECONDS,
    },
    otp: {
      secret: env.OTP_SECRET ?? secrets.otpSecret,
      length: env.OTP_LENGTH,
      ttlSeconds: env.OTP_TTL_SECONDS,
      maxAttempts: env.OTP_MAX_ATTEMPTS,
      resendCooldownSeconds: env.OTP_RESEND_COOLDOWN_SECONDS,
      hourlyLimit: env.OTP_HOURLY_LIMIT,
      failuresBeforeLockout: env.OTP_FAILURES_BEFORE_LOCKOUT,
      lockoutSeconds: env.OTP_LOCKOUT_SECONDS,
      verificationTtlSeconds: env.VERIFICATION_TOKEN_TTL_SECONDS,
      phoneDefaultCountry: (env.PHONE_DEFAULT_COUNTRY || undefined) as CountryCode | undefined,
      smsAllowedCountries: env.SMS_ALLOWED_COUNTRIES ? env.SMS_ALLOWED_COUNTRIES.split(',') : [],
      smsBlockedPrefixes: env.SMS_BLOCKED_PREFIXES ? env.SMS_BLOCKED_PREFIXES.split(',') : [],
      smsBudget: { perHour: env.SMS_MAX_PER_HOUR, perCountryPerHour: env.SMS_MAX_PER_COUNTRY_PER_HOUR },
    },
    delivery: {
      channel: env.DELIVERY_CHANNEL as 'dev' | 'live',
      productName: env.PRODUCT_NAME,
      locale: env.MAIL_LOCALE as 'en' | 'de',
      timeoutMs: env.SMTP_TIMEOUT_MS,
      smtp: env.SMTP_URL ? { url: env.SMTP_URL, from: env.MAIL_FROM } : undefined,
      sms:
        env.SMS_PROVIDER === 'twilio'
          ? {
              provider: 'twilio',
              accountSid: env.TWILIO_ACCOUNT_SID!,
              authToken: env.TWILIO_AUTH_TOKEN!,
              from: env.TWILIO_FROM,
              messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
              apiUrl: env.TWILIO_API_URL,
            }
          : env.SMS_PROVIDER === 'webhook'
            ? { provider: 'webhook', url: env.SMS_WEBHOOK_URL!, secret: env.SMS_WEBHOOK_SECRET! }
            : undefined,
      maxAttempts: env.DELIVERY_MAX_ATTEMPTS,
      retryBaseMs: env.DELIVERY_RETRY_BASE_MS,
      queue: redisTarget
        ? { kind: 'redis', prefix: env.DELIVERY_QUEUE_PREFIX, runWorker: env.DELIVERY_WORKER, concurrency: env.DELIVERY_CONCURRENCY }
        : { kind: 'in-process' },
      degradedBacklog: env.DELIVERY_DEGRADED_BACKLOG,
      degradedFailures: env.DELIVERY_DEGRADED_FAILURES,
    },
    users: { cacheSeconds: env.USER_CACHE_SECONDS },
    admin: {
      passwordMinLength: env.ADMIN_PASSWORD_MIN_LENGTH,
      sessionSecret: env.ADMIN_SESSION_SECRET ?? secrets.adminSessionSecret,
      sessionTtlSeconds: env.ADMIN_SESSION_TTL_SECONDS,
      maxFailedSignInsPerAccount: env.ADMIN_MAX_FAILED_SIGN_INS_PER_ACCOUNT,
      maxFailedSignInsPerIp: env.ADMIN_MAX_FAILED_SIGN_INS_PER_IP,
      bootstrap: bootstrap.every(Boolean)
        ? { username: env.ADMIN_BOOTSTRAP_USERNAME!, email: env.ADMIN_BOOTSTRAP_EMAIL!, password: env.ADMIN_BOOTSTRAP_PASSWORD! }
        : undefined,
    },
  });
}

/** WEBHOOK_ENDPOINTS: a JSON array of {url, secret, events?}; problems are added to the list. */
function parseWebhookEndpoints(raw: string | undefined, problems: string[]): { url: string; secret: string; events: string[] }[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('WEBHOOK_ENDPOINTS: not valid JSON');
    return [];
  }
  const valid = (e: { url?: unknown; secret?: unknown; events?: unknown } | null) =>
    e !== null &&
    typeof e === 'object' &&
    typeof e.url === 'string' &&
    typeof e.secret === 'string' &&
    /^whsec_[A-Za-z0-9+/=]{24,}$/.test(e.secret) &&
    (e.events === undefined || (Array.isArray(e.events) && e.events.every((t: unknown) => typeof t === 'string')));
  if (!Array.isArray(parsed) || !parsed.every(valid)) {
    problems.push('WEBHOOK_ENDPOINTS: must be a JSON array of {"url": "...", "secret": "whsec_<base64>", "events": ["..."]}');
    return [];
  }
  return (parsed as { url: string; secret: string; events?: string[] }[]).map((e) => ({
    url: e.url,
    secret: e.secret,
    events: e.events ?? [],
  }));
}

/** `16kb` → 16384 (b, kb, mb: powers of 1024, as Express's body parser read them). */
function parseBytes(value: string): number {
  const [, amount, unit = 'b'] = /^(\d+)(b|kb|mb)?$/i.exec(value)!;
  return Number(amount) * { b: 1, kb: 1024, mb: 1024 * 1024 }[unit.toLowerCase() as 'b' | 'kb' | 'mb'];
}

/** "Trust proxy" (as Express and Fastify read it): true/false, a hop count, or addresses and subnets as given. */
function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}
