import { createHash, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { type Clock, DomainError } from '#common';
import type { AppConfig } from '#config';
import type { AsymmetricAlgorithm, KeyState } from './signing-key.entity.js';
import { pickPublic, type KeyVault } from './key-vault.js';

// A token naming a kid this instance does not know makes it re-read the keys, at most this often.
const UNKNOWN_KID_RELOAD_MS = 1000;

export type SigningAlgorithm = AsymmetricAlgorithm | 'HS256';

/** What signs tokens right now. */
export interface Signer {
  kid: string;
  algorithm: SigningAlgorithm;
  key: KeyObject;
}

/** An RFC 7517 public key as published in the JWKS. */
export type PublicJwk = Record<string, string> & { kid: string; use: 'sig'; alg: AsymmetricAlgorithm };

const tokenInvalid = () => new DomainError('TOKEN_INVALID', 'The token is invalid or expired.');

/**
 * The keys this instance signs and verifies with, as it knows them now: what token signing, token
 * verification and the JWKS read. Changing the keys is SigningKeysService's; which ring an app has
 * is chosen from JWT_ALGORITHM when the module is built.
 */
export abstract class KeyRing {
  /** Whether there are asymmetric keys to publish and manage (not HS256). */
  abstract readonly asymmetric: boolean;
  /** Loads the keys (the API at start-up; other callers on first use). */
  abstract start(): Promise<void>;
  /** Re-reads the keys now, after a change made here. */
  abstract reload(): Promise<void>;
  abstract currentSigner(): Promise<Signer>;
  /**
   * The key to check a token with, chosen by the kid in its header. The header's algorithm must be
   * the key's own (RFC 8725 §3.1) before any signature is checked: this refuses `none` and the
   * HS256-with-the-public-key confusion outright.
   */
  abstract verificationKey(token: string): Promise<{ key: KeyObject; algorithm: SigningAlgorithm }>;
  /** The JWKS document: next, current and previous public keys, never a private member. */
  abstract jwks(): Promise<{ keys: PublicJwk[] }>;
}

/** JWT_ALGORITHM=HS256: one shared secret (JWT_SECRET) signs and verifies; nothing is published. */
export class HmacKeyRing extends KeyRing {
  readonly asymmetric = false;
  private readonly signer: Signer;

  constructor(secret: string) {
    super();
    const key = Buffer.from(secret, 'utf8');
    // A kid that names the secret without revealing anything about it.
    const kid = `hs256-${createHash('sha256').update('kid:').update(key).digest('base64url').slice(0, 16)}`;
    // A KeyObject: handed a string, jsonwebtoken tries to parse it as a PEM key on every verify.
    this.signer = { kid, algorithm: 'HS256', key: createSecretKey(key) };
  }

  async start(): Promise<void> {}
  async reload(): Promise<void> {}

  async currentSigner(): Promise<Signer> {
    return this.signer;
  }

  async verificationKey(token: string): Promise<{ key: KeyObject; algorithm: SigningAlgorithm }> {
    const header = decodeHeader(token);
    if (header.alg !== 'HS256' || header.kid !== this.signer.kid) throw tokenInvalid();
    return { key: this.signer.key, algorithm: 'HS256' };
  }

  async jwks(): Promise<{ keys: PublicJwk[] }> {
    return { keys: [] };
  }
}

interface PublishedKey {
  kid: string;
  algorithm: AsymmetricAlgorithm;
  state: KeyState;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

/**
 * ES256 or RS256 keys from Postgres: re-read every KEYS_REFRESH_SECONDS (retiring previous keys
 * whose tokens have expired, under the keys lock), so a rotation made on any instance reaches the
 * whole fleet without a restart. Reading never changes a key.
 */
export class StoredKeyRing extends KeyRing implements OnModuleDestroy {
  readonly asymmetric = true;
  private readonly logger = new Logger('SigningKeys');
  private published = new Map<string, PublishedKey>();
  private signer?: Signer;
  private loading?: Promise<void>;
  private lastLoad = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly vault: KeyVault,
    private readonly clock: Clock,
  ) {
    super();
  }

  /** Creates the first keys if there are none, loads them (proving KEYS_ENCRYPTION_KEY decrypts the current one) and starts re-reading them. */
  start(): Promise<void> {
    this.loading ??= (async () => {
      if (this.config.keys.encryptionKeyGenerated) {
        this.logger.warn(
          'KEYS_ENCRYPTION_KEY is not set: private signing keys are encrypted under a development key kept in DATA_DIR/development-secrets.json',
        );
      }
      await this.vault.ensureKeys();
      await this.vault.retireExpired();
      await this.reload();
      this.timer = setInterval(
        () =>
          this.vault
            .retireExpired()
            .then(() => this.reload())
            .catch((error: unknown) => this.logger.warn(`Could not re-read the signing keys: ${String(error)}`)),
        this.config.keys.refreshSeconds * 1000,
      );
      this.timer.unref();
    })();
    // A failed start (the database was down) is tried again by the next caller, not remembered.
    this.loading.catch(() => (this.loading = undefined));
    return this.loading;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async currentSigner(): Promise<Signer> {
    await this.start();
    return this.signer!;
  }

  async verificationKey(token: string): Promise<{ key: KeyObject; algorithm: SigningAlgorithm }> {
    const header = decodeHeader(token);
    await this.start();
    let key = this.published.get(header.kid);
    if (!key && this.clock.now().getTime() - this.lastLoad > UNKNOWN_KID_RELOAD_MS) {
      await this.reload(); // perhaps a rotation another instance just made
      key = this.published.get(header.kid);
    }
    if (!key || key.algorithm !== header.alg) throw tokenInvalid();
    return { key: key.publicKey, algorithm: key.algorithm };
  }

  async jwks(): Promise<{ keys: PublicJwk[] }> {
    await this.start();
    const order: KeyState[] = ['current', 'next', 'previous'];
    return { keys: [...this.published.values()].sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state)).map((k) => k.jwk) };
  }

  async reload(): Promise<void> {
    this.lastLoad = this.clock.now().getTime();
    const rows = await this.vault.liveKeys();
    const published = new Map<string, PublishedKey>();
    for (const row of rows) {
      const jwk = { ...pickPublic(row.publicJwk), kid: row.kid, use: 'sig', alg: row.algorithm } as PublicJwk;
      published.set(row.kid, {
        kid: row.kid,
        algorithm: row.algorithm,
        state: row.state,
        jwk,
        publicKey: createPublicKey({ key: row.publicJwk as JsonWebKey, format: 'jwk' }),
      });
    }
    const current = rows.find((row) => row.state === 'current');
    if (current && this.signer?.kid !== current.kid)
      this.signer = { kid: current.kid, algorithm: current.algorithm, key: await this.vault.privateKey(current.kid) };
    if (!current) this.logger.error('No current signing key in the database; still signing with the last one known');
    this.published = published;
  }
}

/** The protected header, or TOKEN_INVALID: three segments, and a JSON object with a string kid and alg. */
/** The last header decoded: every token one key signs carries the same, so it is mostly the next one's too. */
let lastHeader: { encoded: string; header: { alg: string; kid: string } } | undefined;

function decodeHeader(token: string): { alg: string; kid: string } {
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  if (headerEnd < 0 || payloadEnd < 0 || token.includes('.', payloadEnd + 1)) throw tokenInvalid();
  const encoded = token.slice(0, headerEnd);
  if (lastHeader?.encoded === encoded) return lastHeader.header;
  try {
    const header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (typeof header?.alg !== 'string' || typeof header?.kid !== 'string') throw tokenInvalid();
    lastHeader = { encoded, header };
    return header;
  } catch {
    throw tokenInvalid();
  }
}
