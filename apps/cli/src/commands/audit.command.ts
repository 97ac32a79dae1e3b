import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AUDIT_EVENT_TYPES, AuditService, type AuditEventType } from '#audit';
import { parseLimit, runCommand, table } from '../cli-io.js';

@Command({ name: 'audit', description: 'Show the newest security events from the audit log' })
export class AuditCommand extends CommandRunner {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {
    super();
  }

  run(_: string[], options: { type?: AuditEventType; limit?: number }): Promise<void> {
    return runCommand(async () => {
      const events = await this.audit.recent(options);
      process.stdout.write(
        table(
          events.map((e) => ({
            time: e.createdAt.toISOString(),
            type: e.type,
            actor: e.actorId ?? '',
            target: e.targetId ?? '',
            ip: e.ip ?? '',
            details: e.details ? JSON.stringify(e.details) : '',
          })),
        ),
      );
    });
  }

  @Option({ flags: '-t, --type <type>', description: `only this event type (${AUDIT_EVENT_TYPES.join(', ')})` })
  parseType(value: string): AuditEventType {
    if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(value))
      throw new Error(`--type must be one of: ${AUDIT_EVENT_TYPES.join(', ')}`);
    return value as AuditEventType;
  }

  @Option({ flags: '-n, --limit <count>', description: 'how many (default 50)' })
  parseLimit(value: string): number {
    return parseLimit(value);
  }
}
