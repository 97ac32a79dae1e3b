export { CLI_ACTOR, type Actor } from './actor.js';
export { AUDIT_EVENT_TYPES, AuditEvent, type AuditDetails, type AuditEventType } from './audit-event.entity.js';
export { AuditModule } from './audit.module.js';
export { AuditService, type AuditEntry, type AuditListQuery } from './audit.service.js';
