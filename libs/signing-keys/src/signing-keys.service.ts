import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService, type Actor } from '#audit';
import { Clock, DomainError } from '#common';
import { AppConfig } from '#config';
import { KeyRing } from './key-ring.js';
import { KeyVault } from './key-vault.js';
import { SigningKey, type KeyState } from './signing-key.entity.js';

/**
 * Changing the signing keys, for operators (CLI, admin API, panel): listing them, rotation and
 * retirement, each under the keys lock and audited; this instance's KeyRing re-reads them at once,
 * the others within KEYS_REFRESH_SECONDS. With JWT_ALGORITHM=HS256 there are no keys to manage.
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger('SigningKeys');

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(KeyVault) private readonly vault: KeyVault,
    @Inject(KeyRing) private readonly ring: KeyRing,
  ) {}

  /** Whether there are keys to manage (not HS256). */
  get manageable(): boolean {
    return this.ring.asymmetric;
  }

  async list(): Promise<SigningKey[]> {
    await this.ready();
    return this.dataSource.getRepository(SigningKey).find({ order: { createdAt: 'ASC' } });
  }

  /**
   * next → current → previous, and a new next. Refused while the next key is younger than the JWKS
   * cache lifetime plus the refresh interval (a verifier might not have it yet), unless forced.
   */
  async rotate(actor: Actor, options: { force?: boolean } = {}): Promise<{ previous: string; current: string; next: string }> {
    await this.ready();
    const { jwksMaxAgeSeconds, refreshSeconds } = this.config.keys;
    const minimumAgeSeconds = jwksMaxAgeSeconds + refreshSeconds;
    const result = await this.vault.whileLocked(async (manager) => {
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
      const created = await this.vault.createKey(manager, 'next');
      const outcome = { previous: current.kid, current: next.kid, next: created };
      await this.audit.record({ type: 'keys.rotated', actor, details: { ...outcome, forced: Boolean(options.force) } }, manager);
      return outcome;
    });
    await this.ring.reload();
    this.logger.log(`Rotated: ${result.current} signs now, ${result.previous} is previous, ${result.next} is next`);
    return result;
  }

  /**
   * The emergency brake: the key is neither published nor accepted from now on (on other instances
   * within KEYS_REFRESH_SECONDS), so every token it signed dies. Retiring the current key promotes
   * the next one at once; retiring the next key makes a new one.
   */
  async retire(kid: string, actor: Actor): Promise<{ retired: string; was: KeyState; current: string }> {
    await this.ready();
    const result = await this.vault.whileLocked(async (manager) => {
      const repository = manager.getRepository(SigningKey);
      const key = await repository.findOneBy({ kid });
      if (!key || key.state === 'retired') throw new DomainError('KEY_NOT_FOUND', `There is no live key ${kid}.`);
      const now = this.clock.now();
      await repository.update({ kid }, { state: 'retired', retiredAt: now, deactivatedAt: key.deactivatedAt ?? now });
      if (key.state === 'current') {
        const next = await repository.findOneBy({ state: 'next' });
        if (next) await repository.update({ kid: next.kid }, { state: 'current', activatedAt: now });
        else await this.vault.createKey(manager, 'current');
      }
      if (key.state === 'current' || key.state === 'next') await this.vault.createKey(manager, 'next');
      const current = (await repository.findOneByOrFail({ state: 'current' })).kid;
      await this.audit.record({ type: 'keys.retired', actor, details: { kid, was: key.state, current } }, manager);
      return { retired: kid, was: key.state, current };
    });
    await this.ring.reload();
    this.logger.warn(`Retired ${kid} (was ${result.was}): tokens it signed are refused from now on; ${result.current} signs`);
    return result;
  }

  /** Keys exist and are loaded; HS256 has none to manage. */
  private async ready(): Promise<void> {
    if (!this.ring.asymmetric)
      throw new DomainError('KEY_NOT_FOUND', 'JWT_ALGORITHM is HS256: tokens are signed with JWT_SECRET and there are no keys to manage.');
    await this.ring.start();
  }
}
