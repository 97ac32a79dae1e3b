import { createHash, generateKeyPair, type KeyObject, createPrivateKey } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { Clock, KeyCipher } from '#common';
import { AppConfig } from '#config';
import { SigningKey, type AsymmetricAlgorithm } from './signing-key.entity.js';

const generateKeyPairAsync = promisify(generateKeyPair);
// Advisory-lock key for "changing the signing keys", so two instances never create or rotate at once.
const KEYS_LOCK = 0x6b657973; // 'keys'
export const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/**
 * The signing_keys table and every write to it under one advisory lock: the first keys, new ones,
 * and retiring previous keys whose tokens have all expired. Private parts go in and out encrypted
 * under KEYS_ENCRYPTION_KEY.
 */
@Injectable()
export class KeyVault {
  private readonly logger = new Logger('SigningKeys');
  private readonly cipher: KeyCipher;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Clock) private readonly clock: Clock,
  ) {
    this.cipher = new KeyCipher(config.keys.encryptionKey);
  }

  /** Creates a current and a next key where there are none (several instances starting at once make one of each). */
  async ensureKeys(): Promise<void> {
    if ((await this.dataSource.getRepository(SigningKey).countBy({ state: In(['current', 'next']) })) === 2) return;
    await this.whileLocked(async (manager) => {
      const live = await manager.getRepository(SigningKey).findBy({ state: In(['current', 'next']) });
      for (const state of ['current', 'next'] as const) {
        if (live.some((key) => key.state === state)) continue;
        const kid = await this.createKey(manager, state);
        this.logger.log(`Created the ${state} signing key ${kid} (${this.config.jwt.algorithm})`);
      }
    });
  }

  /** A previous key is kept until the longest-lived token it signed (a refresh token) has expired; then it is retired. */
  async retireExpired(): Promise<void> {
    const expiredBefore = new Date(
      this.clock.now().getTime() - (this.config.jwt.refreshTtlSeconds + this.config.keys.refreshSeconds) * 1000,
    );
    const expired = (manager: EntityManager) =>
      manager
        .getRepository(SigningKey)
        .createQueryBuilder('k')
        .where("k.state = 'previous' AND k.deactivated_at < :expiredBefore", { expiredBefore })
        .getMany();
    if (!(await expired(this.dataSource.manager)).length) return;
    await this.whileLocked(async (manager) => {
      for (const key of await expired(manager)) {
        await manager
          .getRepository(SigningKey)
          .update({ kid: key.kid, state: 'previous' }, { state: 'retired', retiredAt: this.clock.now() });
        this.logger.log(`Retired ${key.kid}: every token it signed has expired`);
      }
    });
  }

  /** The published keys (next, current, previous), public parts only. */
  liveKeys(): Promise<SigningKey[]> {
    return this.dataSource.getRepository(SigningKey).find({ where: { state: In(['next', 'current', 'previous']) } });
  }

  /** The private key of one key, decrypted (KeyDecryptionError under the wrong KEYS_ENCRYPTION_KEY). */
  async privateKey(kid: string): Promise<KeyObject> {
    const { encryptedPrivateKey } = await this.dataSource
      .getRepository(SigningKey)
      .findOneOrFail({ where: { kid }, select: ['kid', 'encryptedPrivateKey'] });
    return createPrivateKey(this.cipher.decrypt(encryptedPrivateKey, kid));
  }

  /** A transaction in which no other instance creates, rotates or retires keys. */
  whileLocked<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEYS_LOCK]);
      return work(manager);
    });
  }

  async createKey(manager: EntityManager, state: 'current' | 'next'): Promise<string> {
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
}

export function pickPublic(jwk: Record<string, string>): Record<string, string> {
  return Object.fromEntries(PUBLIC_MEMBERS.filter((member) => jwk[member] !== undefined).map((member) => [member, jwk[member]]));
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, base64url. */
function thumbprint(jwk: Record<string, string>): string {
  const required = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['e', 'kty', 'n'];
  const canonical = JSON.stringify(Object.fromEntries(required.map((member) => [member, jwk[member]])));
  return createHash('sha256').update(canonical).digest('base64url');
}
