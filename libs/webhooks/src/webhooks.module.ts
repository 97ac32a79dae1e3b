import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '#audit';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhooksService } from './webhooks.service.js';

/** Webhook endpoints and events; with `dispatch` (the API), this process also sends them. */
@Module({})
export class WebhooksModule {
  static forRoot(options: { dispatch: boolean }): DynamicModule {
    return {
      module: WebhooksModule,
      global: true,
      imports: [AuditModule],
      providers: [WebhooksService, ...(options.dispatch ? [WebhookDispatcher] : [])],
      exports: [WebhooksService],
    };
  }
}
