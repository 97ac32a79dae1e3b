import { AuditEvent } from '#audit';
import { RefreshToken } from '#auth-tokens';
import { User } from '#users';

/** Every TypeORM entity, for the app's data source and for ormconfig.ts (the typeorm CLI). */
export const entities = [User, RefreshToken, AuditEvent];
