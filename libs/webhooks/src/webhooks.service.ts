import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { DataSource, In, type EntityManager } from 'typeorm';
import { AuditService, type Actor } from '#audit';
import { AtomicWrite, Clock, DomainError, KeyCipher } from '#common';
import { AppConfig } from '#config';
import { WEBHOOK_EVENT_TYPES, WebhookDelivery, WebhookEndpoint, type WebhookData, type WebhookEventType } from './webhook.entities.js';

/**
 * Webhook endpoints and the events sent to them. `emit` writes one delivery row per subscribed
 * endpoint, in the caller's transaction: the event exists if and only if the change it reports
 * committed. The dispatcher sends them.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger('Webhooks');
  readonly cipher: KeyCipher;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {
    this.cipher = new KeyCipher(config.keys.encryptionKey, 'webhook secret');
  }

  /** Queues the event for every endpoint that wants it, in the caller's transaction (the outbox). */
  async emit(type: WebhookEventType, data: WebhookData, manager: EntityManager = this.dataSource.manager): Promise<void> {
    const write = new AtomicWrite();
    this.emitIn(write, type, data);
    await write.run(manager, 'SELECT 1');
  }

  /**
   * The event as a part of `write`: one delivery row for every enabled endpoint that wants it (an
   * empty list wants all), chosen by the statement itself rather than by a look-up before it.
   */
  emitIn(write: AtomicWrite, type: WebhookEventType, data: WebhookData): void {
    const now = this.clock.now();
    const payload = JSON.stringify({ type, timestamp: now.toISOString(), data });
    // The id is the webhook-id header: msg_ and 32 random hex digits.
    write.add(
      `INSERT INTO webhook_deliveries (id, endpoint_id, type, payload, next_attempt_at)
       SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, ${write.value(type, 'varchar')}, ${write.value(payload, 'text')},
              ${write.value(now, 'timestamptz')}
       FROM webhook_endpoints e
       WHERE e.enabled AND (e.events = '[]'::jsonb OR e.events ? ${write.value(type, 'text')}) AND ${write.condition}`,
    );
  }

  /** Registers an endpoint; the secret is returned this once and stored only encrypted. */
  async add(
    input: { url: string; events?: string[]; description?: string },
    actor: Actor,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const url = this.validUrl(input.url);
    const events = validEvents(input.events ?? []);
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const endpoint = await this.dataSource.transaction(async (manager) => {
      const created = await this.insert(manager, {
        url,
        events,
        secret,
        source: 'operator',
        description: input.description?.slice(0, 200) ?? null,
      });
      await this.audit.record({ type: 'webhook.added', actor, details: { endpoint: created.id, url, events: events.join(',') } }, manager);
      return created;
    });
    return { endpoint, secret };
  }

  async remove(id: string, actor: Actor): Promise<WebhookEndpoint> {
    return this.dataSource.transaction(async (manager) => {
      const endpoint = await manager.getRepository(WebhookEndpoint).findOneBy({ id: validId(id) });
      if (!endpoint) throw new DomainError('WEBHOOK_NOT_FOUND', `There is no webhook endpoint ${id}.`);
      await manager.getRepository(WebhookEndpoint).delete({ id: endpoint.id });
      await this.audit.record({ type: 'webhook.removed', actor, details: { endpoint: endpoint.id, url: endpoint.url } }, manager);
      return endpoint;
    });
  }

  list(): Promise<WebhookEndpoint[]> {
    return this.dataSource.getRepository(WebhookEndpoint).find({ order: { createdAt: 'ASC' } });
  }

  /** One endpoint's deliveries, newest first; WEBHOOK_NOT_FOUND for an endpoint that does not exist. */
  async deliveriesOf(endpointId: string, limit: number): Promise<WebhookDelivery[]> {
    const id = validId(endpointId);
    if (!(await this.dataSource.getRepository(WebhookEndpoint).existsBy({ id })))
      throw new DomainError('WEBHOOK_NOT_FOUND', `There is no webhook endpoint ${endpointId}.`);
    return this.dataSource.getRepository(WebhookDelivery).find({ where: { endpointId: id }, order: { createdAt: 'DESC' }, take: limit });
  }

  recentDeliveries(limit = 50): Promise<WebhookDelivery[]> {
    return this.dataSource.getRepository(WebhookDelivery).find({ order: { createdAt: 'DESC' }, take: limit });
  }

  /** Makes the endpoints from WEBHOOK_ENDPOINTS exist as configured (by url), and drops ones no longer there. */
  async syncConfiguredEndpoints(): Promise<void> {
    const configured = this.config.webhooks.endpoints;
    await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(WebhookEndpoint);
      const existing = await repository.findBy({ source: 'config' });
      const stale = existing.filter((endpoint) => !configured.some((c) => c.url === endpoint.url));
      if (stale.length) await repository.delete({ id: In(stale.map((endpoint) => endpoint.id)) });
      for (const entry of configured) {
        const url = this.validUrl(entry.url);
        const events = validEvents(entry.events);
        const current = existing.find((endpoint) => endpoint.url === url);
        if (current)
          await repository.update(
            { id: current.id },
            { events, enabled: true, encryptedSecret: this.cipher.encrypt(entry.secret, current.id) },
          );
        else await this.insert(manager, { url, events, secret: entry.secret, source: 'config', description: 'WEBHOOK_ENDPOINTS' });
      }
    });
    if (configured.length) this.logger.log(`${configured.length} webhook endpoint(s) from WEBHOOK_ENDPOINTS`);
  }

  private async insert(
    manager: EntityManager,
    fields: { url: string; events: WebhookEventType[]; secret: string; source: 'config' | 'operator'; description: string | null },
  ): Promise<WebhookEndpoint> {
    const id = randomUUID(); // known before the insert: it is bound into the secret's ciphertext
    const { secret, ...rest } = fields;
    await manager.getRepository(WebhookEndpoint).insert({ id, ...rest, encryptedSecret: this.cipher.encrypt(secret, id), enabled: true });
    return manager.getRepository(WebhookEndpoint).findOneByOrFail({ id });
  }

  /** http(s) only, absolute, no credentials in it; https only in production. */
  private validUrl(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new DomainError('WEBHOOK_URL_INVALID', `"${String(raw).slice(0, 100)}" is not an absolute URL.`);
    }
    const allowed = this.config.env === 'production' ? ['https:'] : ['https:', 'http:'];
    if (!allowed.includes(url.protocol)) throw new DomainError('WEBHOOK_URL_INVALID', `A webhook URL must use ${allowed.join(' or ')}.`);
    if (url.username || url.password)
      throw new DomainError('WEBHOOK_URL_INVALID', 'A webhook URL must not carry a user name or password; deliveries are signed instead.');
    if (url.href.length > 2048) throw new DomainError('WEBHOOK_URL_INVALID', 'A webhook URL may be 2048 characters at most.');
    return url.href;
  }
}

/** `msg_` and 32 hex digits: the webhook-id header, unique per event and endpoint. */
function validEvents(events: string[]): WebhookEventType[] {
  const unknown = events.filter((event) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event));
  if (unknown.length)
    throw new DomainError(
      'VALIDATION_FAILED',
      `Unknown webhook event(s): ${unknown.join(', ')}. Known: ${WEBHOOK_EVENT_TYPES.join(', ')}.`,
    );
  return [...new Set(events)] as WebhookEventType[];
}

function validId(id: string): string {
  // Anything else would reach Postgres as an invalid uuid and fail there.
  if (!isUUID(id)) throw new DomainError('WEBHOOK_NOT_FOUND', `There is no webhook endpoint ${id}.`);
  return id;
}
