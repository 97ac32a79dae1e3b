import { Module } from '@nestjs/common';
import { AuditModule } from '#audit';
import { AccountEvents } from './account-events.service.js';

/** Account events: the audit row and the webhook, written by one call (WebhooksModule is global). */
@Module({ imports: [AuditModule], providers: [AccountEvents], exports: [AccountEvents] })
export class EventsModule {}
