import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevelopmentSecrets {
  jwtSecret: string;
  otpSecret: string;
  adminSessionSecret: string;
  /** base64 of 32 bytes */
  keysEncryptionKey: string;
}

const fresh = () => randomBytes(32).toString('base64url');
const freshKey = () => randomBytes(32).toString('base64');

/**
 * Outside production a missing JWT_SECRET / OTP_SECRET / ADMIN_SESSION_SECRET / KEYS_ENCRYPTION_KEY is generated once and
 * kept in DATA_DIR, so restarts (and the CLI) keep accepting what the server issued. Production
 * refuses to start without them (see loadConfig). In-memory test runs get throw-away secrets.
 */
export function loadDevelopmentSecrets(dataDir: string, ephemeral: boolean): DevelopmentSecrets {
  if (ephemeral) return { jwtSecret: fresh(), otpSecret: fresh(), adminSessionSecret: fresh(), keysEncryptionKey: freshKey() };
  const file = join(dataDir, 'development-secrets.json');
  const stored: Partial<DevelopmentSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets: DevelopmentSecrets = {
    jwtSecret: stored.jwtSecret ?? fresh(),
    otpSecret: stored.otpSecret ?? fresh(),
    adminSessionSecret: stored.adminSessionSecret ?? fresh(),
    keysEncryptionKey: stored.keysEncryptionKey ?? freshKey(),
  };
  if (Object.keys(stored).length !== Object.keys(secrets).length) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  }
  return secrets;
}
