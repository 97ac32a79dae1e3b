import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService, type Actor } from '#audit';
import { AtomicWrite } from '#common';
import { WebhooksService, type WebhookData, type WebhookEventType } from '#webhooks';
import {
  PUBLISHED,
  type AccountEventMap,
  type AccountEventType,
  type AccountFacts,
  type AccountOf,
  type PublishedEventType,
} from './account-events.js';

/**
 * The one call for something that happened to an account: its audit row and, for a published
 * event, its webhook deliveries, both in the caller's transaction, so they exist if and only if
 * the change they report committed.
 */
@Injectable()
export class AccountEvents {
  constructor(
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
  ) {}

  async record<K extends AccountEventType>(
    manager: EntityManager,
    type: K,
    account: AccountOf<K>,
    actor: Actor,
    event: AccountEventMap[K],
  ): Promise<void> {
    const write = new AtomicWrite();
    this.recordIn(write, type, account, actor, event);
    await write.run(manager, 'SELECT 1');
  }

  /** The same as parts of a larger write, which commits them with the change they report. */
  recordIn<K extends AccountEventType>(write: AtomicWrite, type: K, account: AccountOf<K>, actor: Actor, event: AccountEventMap[K]): void {
    if (isPublished(type)) {
      const published = (
        PUBLISHED[type] as (account: AccountFacts, event: unknown, actor: Actor) => { type: WebhookEventType; data: WebhookData }
      )(account as AccountFacts, event, actor);
      this.webhooks.emitIn(write, published.type, published.data);
    }
    const details = Object.keys(event).length ? (event as Record<string, string | number | boolean>) : undefined;
    this.audit.recordIn(write, { type, actor, targetId: account.id, details });
  }
}

const isPublished = (type: AccountEventType): type is PublishedEventType => type in PUBLISHED;
