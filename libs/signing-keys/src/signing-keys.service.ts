import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { AuditService, type Actor } from '#audit';
import { Clock, DomainError, KeyCipher } from '#common';
import { AppConfig } from '#config';
import { SigningKey, type AsymmetricAlgorithm, type KeyState } from './signing-key.entity.js';

const generateKeyPairAsync = promisify(generateKeyPair);
// Advisory-lock key for "changing the signing keys", so two instances never create or rotate at once.
const KEYS_LOCK = 0x6b657973; // 'keys'
// A token naming a kid this instance does not know makes it re-read the keys, at most this often.
const UNKNOWN_KID_RELOAD_MS = 1000;
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

export type SigningAlgorithm = AsymmetricAlgorithm | 'HS256';

/** What signs tokens right now. */
export interface Signer {
  kid: string;
  algorithm: SigningAlgorithm;
  key: KeyObject;
}

/** An RFC 7517 public key as published in the JWKS. */
export type PublicJwk = Record<string, string> & { kid: string; use: 'sig'; alg: AsymmetricAlgorithm };

interface PublishedKey {
  kid: string;
  algorithm: AsymmetricAlgorithm;
  state: KeyState;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

const tokenInvalid = () => new DomainError('TOKEN_INVALID', 'The token is invalid or expired.');

/**
 * The signing keys: which key signs (current), which keys verify (next, current, previous), the JWKS,
 * rotation and retirement. Keys live in Postgres, private parts encrypted under KEYS_ENCRYPTION_KEY;
 * every instance re-reads them every KEYS_REFRESH_SECONDS, so a rotation reaches the whole fleet
 * without a restart. With JWT_ALGORITHM=HS256 there is one shared secret instead and no JWKS.
 */
@Injectable()
export class SigningKeysService implements OnModuleDestroy {
  private readonly logger = new Logger('SigningKeys');
  private readonly cipher: KeyCipher;
  private readonly hmacSigner?: Signer;
  private published = new Map<string, PublishedKey>();
  private signer?: Signer;
  private loading?: Promise<void>;
  private lastLoad = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(Clock) private readonly clock: Clock,
  ) {
    this.cipher = new KeyCipher(config.keys.encryptionKey);
    if (config.jwt.algorithm === 'HS256') {
      const key = Buffer.from(config.jwt.secret, 'utf8');
      // A kid that names the secret without revealing anything about it.
      const kid = `hs256-${createHash('sha256').update('kid:').update(key).digest('base64url').slice(0, 16)}`;
      // A KeyObject: handed a string, jsonwebtoken tries to parse it as a PEM key on every verify.
      this.hmacSigner = { kid, algorithm: 'HS256', key: createSecretKey(key) };
    }
  }

  get asymmetric(): boolean {
    return !this.hmacSigner;
  }

  /**
   * Creates the first keys if there are none, loads them (proving KEYS_ENCRYPTION_KEY decrypts the
   * current one) and starts re-reading them periodically. The API calls this at start-up; other
   * callers get it on first use.
   */
  start(): Promise<void> {
    if (!this.asymmetric) return Promise.resolve();
    this.loading ??= (async () => {
      if (this.config.keys.encryptionKeyGenerated) {
        this.logger.warn(
          'KEYS_ENCRYPTION_KEY is not set: private signing keys are encrypted under a development key kept in DATA_DIR/development-secrets.json',
        );
      }
      await this.ensureKeys();
      await this.reload();
      this.timer = setInterval(
        () => this.reload().catch((error: unknown) => this.logger.warn(`Could not re-read the signing keys: ${String(error)}`)),
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

  /** The key that signs new tokens. */
  async currentSigner(): Promise<Signer> {
    if (this.hmacSigner) return this.hmacSigner;
    await this.start();
    return this.signer!;
  }

  /**
   * The key to check a token with, chosen by the kid in its header. The header's algorithm must be
   * the key's own (RFC 8725 §3.1) before any signature is checked: this refuses `none` and the
   * HS256-with-the-public-key confusion outright.
   */
  async verificationKey(token: string): Promise<{ key: KeyObject; algorithm: SigningAlgorithm }> {
    const header = decodeHeader(token);
    if (this.hmacSigner) {
      if (header.alg !== 'HS256' || header.kid !== this.hmacSigner.kid) throw tokenInvalid();
      return { key: this.hmacSigner.key, algorithm: 'HS256' };
    }
    await this.start();
    let key = this.published.get(header.kid);
    if (!key && this.clock.now().getTime() - this.lastLoad > UNKNOWN_KID_RELOAD_MS) {
      await this.reload(); // perhaps a rotation another instance just made
      key = this.published.get(header.kid);
    }
    if (!key || key.algorithm !== header.alg) throw tokenInvalid();
    return { key: key.publicKey, algorithm: key.algorithm };
  }

  /** The JWKS document: next, current and previous public keys, never a private member. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    if (!this.asymmetric) return { keys: [] };
    await this.start();
    const order: KeyState[] = ['current', 'next', 'previous'];
    return { keys: [...this.published.values()].sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state)).map((k) => k.jwk) };
  }

  async list(): Promise<SigningKey[]> {
    this.assertAsymmetric();
    await this.start();
    return this.dataSource.getRepository(SigningKey).find({ order: { createdAt: 'ASC' } });
  }

  /**
   * next → current → previous, and a new next. Refused while the next key is younger than the JWKS
   * cache lifetime plus the refresh interval (a verifier might not have it yet), unless forced.
   */
  async rotate(actor: Actor, options: { force?: boolean } = {}): Promise<{ previous: string; current: string; next: string }> {
    this.assertAsymmetric();
    await this.start();
    const { jwksMaxAgeSeconds, refreshSeconds } = this.config.keys;
    const minimumAgeSeconds = jwksMaxAgeSeconds + refreshSeconds;
    const result = await this.whileHoldingKeysLock(async (manager) => {
      const repository = manager.getRepository(SigningKey);
      const [current, next] = await Promise.all([repository.findOneBy({ state: 'current' }), repository.findOneBy({ state: 'next' })]);
      if (!current || !next)
        throw new DomainError('KEY_NOT_FOUND', 'There is no current and next key to rotate; restart the service to create them.');
      const ageSeconds = (this.clock.now().getTime() - next.createdAt.getTime()) / 1000;
      if (!options.force && ageSeconds < minimumAgeSeconds) {
        throw new DomainError(
          'KEY_NOT_READY',
          `The next key ${next.kid} has been published for ${Math.floor(ageSeconds)} s; verifiers may cache the JWKS for ${jwksMaxAgeSeconds} s and instances re-read keys every ${refreshSeconds} s. ` +
            `Rotate in ${Math.ceil(minimumAgeSeconds - ageSeconds)} s, or force it (tokens the new key signs may be refused by verifiers holding an older JWKS until their cache expires).`,
        );
      }
      const now = this.clock.now();
      await repository.update({ kid: current.kid }, { state: 'previous', deactivatedAt: now });
      await repository.update({ kid: next.kid }, { state: 'current', activatedAt: now });
      const created = await this.createKey(manager, 'next');
      const outcome = { previous: current.kid, current: next.kid, next: created };
      await this.audit.record({ type: 'keys.rotated', actor, details: { ...outcome, forced: Boolean(options.force) } }, manager);
      return outcome;
    });
    await this.reload();
    this.logger.log(`Rotated: ${result.current} signs now, ${result.previous} is previous, ${result.next} is next`);
    return result;
  }

  /**
   * The emergency brake: the key is neither published nor accepted from now on (on other instances
   * within KEYS_REFRESH_SECONDS), so every token it signed dies. Retiring the current key promotes
   * the next one at once; retiring the next key makes a new one.
   */
  async retire(kid: string, actor: Actor): Promise<{ retired: string; was: KeyState; current: string }> {
    this.assertAsymmetric();
    await this.start();
    const result = await this.whileHoldingKeysLock(async (manager) => {
      const repository = manager.getRepository(SigningKey);
      const key = await repository.findOneBy({ kid });
      if (!key || key.state === 'retired') throw new DomainError('KEY_NOT_FOUND', `There is no live key ${kid}.`);
      const now = this.clock.now();
      await repository.update({ kid }, { state: 'retired', retiredAt: now, deactivatedAt: key.deactivatedAt ?? now });
      if (key.state === 'current') {
        const next = await repository.findOneBy({ state: 'next' });
        if (next) await repository.update({ kid: next.kid }, { state: 'current', activatedAt: now });
        else await this.createKey(manager, 'current');
      }
      if (key.state === 'current' || key.state === 'next') await this.createKey(manager, 'next');
      const current = (await repository.findOneByOrFail({ state: 'current' })).kid;
      await this.audit.record({ type: 'keys.retired', actor, details: { kid, was: key.state, current } }, manager);
      return { retired: kid, was: key.state, current };
    });
    await this.reload();
    this.logger.warn(`Retired ${kid} (was ${result.was}): tokens it signed are refused from now on; ${result.current} signs`);
    return result;
  }

  /** Re-reads the published keys; retires previous keys whose tokens have all expired. */
  private async reload(): Promise<void> {
    this.lastLoad = this.clock.now().getTime();
    const repository = this.dataSource.getRepository(SigningKey);
    // A previous key is kept until the longest-lived token it signed (a refresh token) has expired.
    const expiredBefore = new Date(this.lastLoad - (this.config.jwt.refreshTtlSeconds + this.config.keys.refreshSeconds) * 1000);
    const expired = await repository
      .createQueryBuilder('k')
      .where("k.state = 'previous' AND k.deactivated_at < :expiredBefore", { expiredBefore })
      .getMany();
    for (const key of expired) {
      await repository.update({ kid: key.kid, state: 'previous' }, { state: 'retired', retiredAt: this.clock.now() });
      this.logger.log(`Retired ${key.kid}: every token it signed has expired`);
    }

    const rows = await repository.find({ where: { state: In(['next', 'current', 'previous']) } });
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
    if (current && this.signer?.kid !== current.kid) {
      const { encryptedPrivateKey } = await repository.findOneOrFail({
        where: { kid: current.kid },
        select: ['kid', 'encryptedPrivateKey'],
      });
      this.signer = {
        kid: current.kid,
        algorithm: current.algorithm,
        key: createPrivateKey(this.cipher.decrypt(encryptedPrivateKey, current.kid)),
      };
    }
    if (!current) this.logger.error('No current signing key in the database; still signing with the last one known');
    this.published = published;
  }

  private async ensureKeys(): Promise<void> {
    const repository = this.dataSource.getRepository(SigningKey);
    if ((await repository.countBy({ state: In(['current', 'next']) })) === 2) return;
    await this.whileHoldingKeysLock(async (manager) => {
      const live = await manager.getRepository(SigningKey).findBy({ state: In(['current', 'next']) });
      for (const state of ['current', 'next'] as const) {
        if (live.some((key) => key.state === state)) continue;
        const kid = await this.createKey(manager, state);
        this.logger.log(`Created the ${state} signing key ${kid} (${this.config.jwt.algorithm})`);
      }
    });
  }

  /** A transaction in which no other instance creates, rotates or retires keys. */
  private whileHoldingKeysLock<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEYS_LOCK]);
      return work(manager);
    });
  }

  private async createKey(manager: EntityManager, state: 'current' | 'next'): Promise<string> {
    const algorithm = this.config.jwt.algorithm as AsymmetricAlgorithm;
    const { publicKey, privateKey } =
      algorithm === 'ES256'
        ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
        : await generateKeyPairAsync('rsa', { modulusLength: 2048 });
    const publicJwk = pickPublic(publicKey.export({ format: 'jwk' }) as Record<string, string>);
    const kid = thumbprint(publicJwk);
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await manager.getRepository(SigningKey).insert({
      kid,
      algorithm,
      state,
      publicJwk,
      encryptedPrivateKey: this.cipher.encrypt(pem, kid),
      activatedAt: state === 'current' ? this.clock.now() : null,
    });
    return kid;
  }

  private assertAsymmetric(): void {
    if (!this.asymmetric)
      throw new DomainError('KEY_NOT_FOUND', 'JWT_ALGORITHM is HS256: tokens are signed with JWT_SECRET and there are no keys to manage.');
  }
}

/** The protected header, or TOKEN_INVALID: three segments, and a JSON object with a string kid and alg. */
function decodeHeader(token: string): { alg: string; kid: string } {
  const segments = token.split('.');
  if (segments.length !== 3) throw tokenInvalid();
  try {
    const header = JSON.parse(Buffer.from(segments[0], 'base64url').toString('utf8'));
    if (typeof header?.alg !== 'string' || typeof header?.kid !== 'string') throw tokenInvalid();
    return header;
  } catch {
    throw tokenInvalid();
  }
}

function pickPublic(jwk: Record<string, string>): Record<string, string> {
  return Object.fromEntries(PUBLIC_MEMBERS.filter((member) => jwk[member] !== undefined).map((member) => [member, jwk[member]]));
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, base64url. */
function thumbprint(jwk: Record<string, string>): string {
  const required = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['e', 'kty', 'n'];
  const canonical = JSON.stringify(Object.fromEntries(required.map((member) => [member, jwk[member]])));
  return createHash('sha256').update(canonical).digest('base64url');
}
