import { AuditEvent } from '#audit';
import { RefreshToken } from '#auth-tokens';
import { SigningKey } from '#signing-keys';
import { User } from '#users';
import { WebhookDelivery, WebhookEndpoint } from '#webhooks';

/** Every TypeORM entity, for the app's data source and for ormconfig.ts (the typeorm CLI). */
export const entities = [User, RefreshToken, AuditEvent, SigningKey, WebhookEndpoint, WebhookDelivery];
