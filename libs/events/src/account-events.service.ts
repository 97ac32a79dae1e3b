import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService, type Actor } from '#audit';
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
    if (isPublished(type)) {
      const published = (
        PUBLISHED[type] as (account: AccountFacts, event: unknown, actor: Actor) => { type: WebhookEventType; data: WebhookData }
      )(account as AccountFacts, event, actor);
      await this.webhooks.emit(published.type, published.data, manager);
    }
    const details = Object.keys(event).length ? (event as Record<string, string | number | boolean>) : undefined;
    await this.audit.record({ type, actor, targetId: account.id, details }, manager);
  }
}

const isPublished = (type: AccountEventType): type is PublishedEventType => type in PUBLISHED;
