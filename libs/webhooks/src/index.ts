export {
  DELIVERY_STATES,
  WEBHOOK_EVENT_TYPES,
  WebhookDelivery,
  WebhookEndpoint,
  type DeliveryState,
  type WebhookData,
  type WebhookEventType,
} from './webhook.entities.js';
export { WebhooksModule } from './webhooks.module.js';
export { WebhooksService } from './webhooks.service.js';
