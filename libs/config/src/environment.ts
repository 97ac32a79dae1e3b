import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : ['1', 'true', 'yes', 'on'].includes(String(value).toLowerCase());

/**
 * Every environment variable the service reads, with its default. `.env.example` mirrors this file.
 * The one other reader of process.env is AdminJS's own ADMIN_JS_TMP_DIR (where its component bundle
 * is), which admin-mount.ts reads the way AdminJS does.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test']) NODE_ENV = 'development';
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 8010;
  @IsString() HOST = '0.0.0.0';
  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']) LOG_LEVEL = 'log';
  /** `json`: one JSON object a line (pino); `pretty`: readable lines. Default: pretty in development, else json. */
  @IsOptional() @IsIn(['json', 'pretty']) LOG_FORMAT?: string;
  /** Request bodies above this are refused with 413. */
  @IsString() @Matches(/^\d+(b|kb|mb)?$/i) BODY_LIMIT = '16kb';
  /**
   * Which proxies may set X-Forwarded-For ("trust proxy"): false (the default: the client IP
   * is the socket's, so a client cannot pick its IP), true, a hop count, or addresses/subnets.
   */
  @IsString() TRUST_PROXY = 'false';
  /** Requests per client IP per hour: OTP requests, OTP verifies, and register/login/refresh. */
  @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_OTP_REQUESTS_PER_IP = 20;
  @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_OTP_VERIFIES_PER_IP = 60;
  @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_SIGN_INS_PER_IP = 30;
  @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_ADMIN_REQUESTS_PER_IP = 3600;
  /** Prometheus metrics at GET /metrics (or on METRICS_PORT). */
  @Transform(toBool) @IsBoolean() METRICS_ENABLED = true;
  /** Bearer token /metrics asks for; required in production. */
  @IsOptional() @IsString() @MinLength(16) METRICS_TOKEN?: string;
  /** Serve /metrics on this port instead of the API's. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535) METRICS_PORT?: number;
  /**
   * On SIGTERM/SIGINT: /health/ready answers 503 at once, new connections are still accepted for
   * SHUTDOWN_DRAIN_DELAY_MS (time for a load balancer to notice), then the listener closes and
   * requests in flight get up to SHUTDOWN_GRACE_MS to finish before their connections are cut.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(120_000) SHUTDOWN_DRAIN_DELAY_MS = 0;
  @Transform(toInt) @IsInt() @Min(0) @Max(300_000) SHUTDOWN_GRACE_MS = 10_000;
  /**
   * API processes on this machine (node:cluster; they share PORT). 1: this process serves. More:
   * this process only supervises them (and serves their summed /metrics on METRICS_PORT).
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(64) HTTP_WORKERS = 1;
  /** Comma-separated origins allowed by CORS; empty keeps CORS closed. */
  @IsString() CORS_ORIGINS = '';

  /** Where the embedded default keeps PGlite's files and generated development secrets. */
  @IsString() DATA_DIR = './data';
  /** Postgres URL; when unset outside production the embedded PGlite database is used. */
  @IsOptional() @Matches(/^postgres(ql)?:\/\//) DATABASE_URL?: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(200) DB_POOL_SIZE = 10;
  @Transform(toInt) @IsInt() @Min(100) DB_CONNECT_TIMEOUT_MS = 3000;
  @Transform(toInt) @IsInt() @Min(100) DB_STATEMENT_TIMEOUT_MS = 5000;
  @Transform(toBool) @IsBoolean() DB_MIGRATIONS_RUN = true;
  /** Named prepared statements (parsed once per connection); false behind a PgBouncer that does not track them. */
  @Transform(toBool) @IsBoolean() DB_PREPARED_STATEMENTS = true;

  /** Redis URL; when unset outside production an in-process store with the same semantics is used. */
  @IsOptional() @Matches(/^rediss?:\/\//) REDIS_URL?: string;
  /**
   * Redis Cluster instead of one Redis: some of its nodes, comma-separated, as host:port or
   * redis(s):// URLs (credentials from the first one apply to every node). The rest are discovered.
   */
  @IsOptional()
  @Matches(/^((rediss?:\/\/[^,\s]+)|([^,\s:/]+:\d+))(,((rediss?:\/\/[^,\s]+)|([^,\s:/]+:\d+)))*$/, {
    message: 'REDIS_CLUSTER_NODES must be a comma-separated list of host:port or redis:// URLs',
  })
  REDIS_CLUSTER_NODES?: string;
  @Transform(toInt) @IsInt() @Min(50) REDIS_COMMAND_TIMEOUT_MS = 1000;
  /**
   * How long the user row behind an access token is kept in Redis (0: read Postgres on every
   * request). Every change the service makes takes effect at once; a change made in SQL by hand, within this time.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(3600) USER_CACHE_SECONDS = 30;

  /**
   * ES256 (default) or RS256: tokens are signed with a private key kept (encrypted) in Postgres and
   * verifiable by anyone through /.well-known/jwks.json. HS256: a shared secret, JWT_SECRET.
   */
  @IsIn(['ES256', 'RS256', 'HS256']) JWT_ALGORITHM = 'ES256';
  /** Encrypts the private signing keys at rest (AES-256-GCM): 32 random bytes, base64. */
  @IsOptional() @IsString() KEYS_ENCRYPTION_KEY?: string;
  /** Cache-Control max-age of the JWKS; a new key is published this long (plus the refresh) before it signs. */
  @Transform(toInt) @IsInt() @Min(0) @Max(86_400) JWKS_MAX_AGE_SECONDS = 300;
  /** How often each instance re-reads the keys, so a rotation or retirement reaches it without a restart. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) KEYS_REFRESH_SECONDS = 10;
  @IsOptional() @IsString() @MinLength(32) JWT_SECRET?: string;
  @IsString() JWT_ISSUER = 'otp-auth';
  @IsString() JWT_AUDIENCE = 'otp-auth-clients';
  @Transform(toInt) @IsInt() @Min(30) ACCESS_TOKEN_TTL_SECONDS = 900;
  @Transform(toInt) @IsInt() @Min(60) REFRESH_TOKEN_TTL_SECONDS = 604800;

  /**
   * Webhook endpoints from configuration, JSON: [{"url": "https://…", "secret": "whsec_…", "events": ["user.created"]}]
   * (events optional: all). Operators can add more with the CLI or the admin panel.
   */
  @IsOptional() @IsString() WEBHOOK_ENDPOINTS?: string;
  /** How long one delivery attempt may take. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60_000) WEBHOOK_TIMEOUT_MS = 10_000;
  /** Attempts before a delivery is given up as dead. */
  @Transform(toInt) @IsInt() @Min(1) @Max(30) WEBHOOK_MAX_ATTEMPTS = 8;
  /** Backoff: the wait after the n-th failure is this × 4^(n-1), capped at 6 h, ±20 %. */
  @Transform(toInt) @IsInt() @Min(10) WEBHOOK_RETRY_BASE_MS = 5_000;
  /** How often each instance looks for deliveries that are due. */
  @Transform(toInt) @IsInt() @Min(50) @Max(60_000) WEBHOOK_POLL_MS = 500;

  /** Key for the HMAC under which codes are stored. */
  @IsOptional() @IsString() @MinLength(32) OTP_SECRET?: string;
  @Transform(toInt) @IsInt() @Min(4) @Max(10) OTP_LENGTH = 6;
  @Transform(toInt) @IsInt() @Min(30) OTP_TTL_SECONDS = 300;
  @Transform(toInt) @IsInt() @Min(1) @Max(20) OTP_MAX_ATTEMPTS = 5;
  @Transform(toInt) @IsInt() @Min(0) OTP_RESEND_COOLDOWN_SECONDS = 60;
  @Transform(toInt) @IsInt() @Min(1) OTP_HOURLY_LIMIT = 10;
  /** Wrong guesses per identifier per hour, across re-sent codes, before the identifier is locked. */
  @Transform(toInt) @IsInt() @Min(1) OTP_FAILURES_BEFORE_LOCKOUT = 10;
  @Transform(toInt) @IsInt() @Min(1) OTP_LOCKOUT_SECONDS = 900;
  @Transform(toInt) @IsInt() @Min(30) VERIFICATION_TOKEN_TTL_SECONDS = 600;
  /** ISO country used for phone numbers written without a leading +; empty requires E.164 input. */
  @IsString() @Matches(/^([A-Z]{2})?$/) PHONE_DEFAULT_COUNTRY = '';
  /** Countries (ISO 3166 codes, comma-separated) whose numbers may be sent codes by SMS; empty: all. */
  @IsString() @Matches(/^([A-Z]{2}(,[A-Z]{2})*)?$/) SMS_ALLOWED_COUNTRIES = '';
  /** E.164 prefixes never sent an SMS, e.g. premium-rate ranges: `+881,+882,+4470`. */
  @IsString() @Matches(/^(\+\d{1,14}(,\+\d{1,14})*)?$/) SMS_BLOCKED_PREFIXES = '';
  /** The fleet-wide SMS budget per clock hour: all numbers together, and each country; 0: no limit. */
  @Transform(toInt) @IsInt() @Min(0) SMS_MAX_PER_HOUR = 0;
  @Transform(toInt) @IsInt() @Min(0) SMS_MAX_PER_COUNTRY_PER_HOUR = 0;

  /**
   * `dev` logs codes (refused in production); `live` sends them, in the background with retries:
   * email over SMTP (SMTP_URL), phone numbers by SMS (SMS_PROVIDER).
   */
  @IsIn(['dev', 'live']) DELIVERY_CHANNEL = 'dev';
  /** smtp://user:password@host:587 (STARTTLS when offered) or smtps://…:465. */
  @IsOptional() @Matches(/^smtps?:\/\//) SMTP_URL?: string;
  /** The From header of the mails, e.g. `Acme <no-reply@acme.example>`. */
  @IsString() MAIL_FROM = 'OTP authentication <no-reply@localhost>';
  /** The product named in the mails. */
  @IsString() PRODUCT_NAME = 'OTP authentication';
  /** The language of the mails. */
  @IsIn(['en', 'de']) MAIL_LOCALE = 'en';
  /** Attempts at one message before it is dead-lettered; the wait after the n-th failure is base × 2^(n-1). */
  @Transform(toInt) @IsInt() @Min(1) @Max(20) DELIVERY_MAX_ATTEMPTS = 5;
  @Transform(toInt) @IsInt() @Min(10) DELIVERY_RETRY_BASE_MS = 2000;
  /**
   * With REDIS_URL, live delivery goes through a queue in Redis. false: this API process only
   * queues, and `npm run worker` processes send (start at least one).
   */
  @Transform(toBool) @IsBoolean() DELIVERY_WORKER = true;
  /** Messages one worker sends at the same time. */
  @Transform(toInt) @IsInt() @Min(1) @Max(200) DELIVERY_CONCURRENCY = 10;
  /**
   * The queue's Redis key prefix. Keep the braces: they are a Redis Cluster hash tag that puts every
   * key of the queue in one slot. Deployments sharing one Redis need different prefixes.
   */
  @IsString() @Matches(/^\{[\w.-]+\}$/) DELIVERY_QUEUE_PREFIX = '{otp-delivery}';
  /** /health/ready reports delivery `degraded` from this many messages waiting to be sent… */
  @Transform(toInt) @IsInt() @Min(1) DELIVERY_DEGRADED_BACKLOG = 100;
  /** …or this many dead-lettered in the last 15 minutes. */
  @Transform(toInt) @IsInt() @Min(1) DELIVERY_DEGRADED_FAILURES = 10;
  /** Longest wait for the mail server at each step (connect, greeting, each command), and for an SMS provider's answer. */
  @Transform(toInt) @IsInt() @Min(100) SMTP_TIMEOUT_MS = 10_000;
  /** SMS for phone numbers: `twilio` (Messages API) or `webhook` (JSON POST, HMAC-signed, to any gateway). */
  @IsOptional() @IsIn(['twilio', 'webhook']) SMS_PROVIDER?: string;
  @IsOptional() @IsString() TWILIO_ACCOUNT_SID?: string;
  @IsOptional() @IsString() TWILIO_AUTH_TOKEN?: string;
  /** The sending number (E.164), or TWILIO_MESSAGING_SERVICE_SID instead. */
  @IsOptional() @IsString() TWILIO_FROM?: string;
  @IsOptional() @IsString() TWILIO_MESSAGING_SERVICE_SID?: string;
  /** Twilio's API base; only tests point it elsewhere. */
  @IsString() @Matches(/^https?:\/\//) TWILIO_API_URL = 'https://api.twilio.com';
  @IsOptional() @Matches(/^https?:\/\//) SMS_WEBHOOK_URL?: string;
  /** Signs each SMS webhook request (HMAC-SHA256): at least 32 characters. */
  @IsOptional() @IsString() @MinLength(32) SMS_WEBHOOK_SECRET?: string;

  /**
   * A CAPTCHA on otp/request, against bots that request codes by the thousand (SMS pumping): empty
   * (off, the default: clients send nothing new), `turnstile`, `hcaptcha` or `recaptcha`.
   */
  @IsOptional() @IsIn(['', 'turnstile', 'hcaptcha', 'recaptcha']) CAPTCHA_PROVIDER?: string;
  @IsOptional() @IsString() @MinLength(1) CAPTCHA_SECRET_KEY?: string;
  /** The provider's siteverify endpoint; by default the provider's own. Tests and self-hosted setups point it elsewhere. */
  @IsOptional() @Matches(/^https?:\/\//) CAPTCHA_VERIFY_URL?: string;
  /** When set, a token solved on another site (hostname in the provider's answer) is refused (Turnstile, hCaptcha, reCAPTCHA). */
  @IsOptional() @IsString() CAPTCHA_EXPECTED_HOSTNAME?: string;
  /** Longest wait for the provider's answer. */
  @Transform(toInt) @IsInt() @Min(100) @Max(30_000) CAPTCHA_TIMEOUT_MS = 3000;
  /** With the provider down or slow: refuse (503 CAPTCHA_UNAVAILABLE, the default) or let requests through with a warning. */
  @Transform(toBool) @IsBoolean() CAPTCHA_FAIL_OPEN = false;
  /** The purposes that need a CAPTCHA. */
  @IsString() @Matches(/^(REGISTER|LOGIN|CHANGE_IDENTIFIER)(,(REGISTER|LOGIN|CHANGE_IDENTIFIER))*$/) CAPTCHA_PURPOSES = 'REGISTER,LOGIN';

  /** Shortest password the admin panel accepts (NIST SP 800-63B asks for at least 8; we default higher). */
  @Transform(toInt) @IsInt() @Min(8) @Max(128) ADMIN_PASSWORD_MIN_LENGTH = 12;
  /** Signs the admin panel's session cookie. */
  @IsOptional() @IsString() @MinLength(32) ADMIN_SESSION_SECRET?: string;
  @Transform(toInt) @IsInt() @Min(300) ADMIN_SESSION_TTL_SECONDS = 28800;
  /** Failed admin sign-ins allowed per account, and per IP address, in 15 minutes. */
  @Transform(toInt) @IsInt() @Min(1) ADMIN_MAX_FAILED_SIGN_INS_PER_ACCOUNT = 5;
  @Transform(toInt) @IsInt() @Min(1) ADMIN_MAX_FAILED_SIGN_INS_PER_IP = 20;
  /** The first admin, made at start-up when no admin exists yet (all three, or none). */
  @IsOptional() @IsString() ADMIN_BOOTSTRAP_USERNAME?: string;
  @IsOptional() @IsString() ADMIN_BOOTSTRAP_EMAIL?: string;
  @IsOptional() @IsString() ADMIN_BOOTSTRAP_PASSWORD?: string;
}
