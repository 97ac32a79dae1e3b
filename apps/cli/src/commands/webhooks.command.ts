import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CLI_ACTOR } from '#audit';
import { WEBHOOK_EVENT_TYPES, WebhooksService } from '#webhooks';
import { parseLimit, runCommand, table } from '../cli-io.js';
import { CommandGroup } from './command-group.js';

@SubCommand({ name: 'add', arguments: '<url>', description: 'Register an endpoint; prints its signing secret once' })
export class WebhooksAddCommand extends CommandRunner {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {
    super();
  }

  run([url]: string[], options: { events?: string[]; description?: string }): Promise<void> {
    return runCommand(async () => {
      const { endpoint, secret } = await this.webhooks.add({ url, events: options.events, description: options.description }, CLI_ACTOR);
      console.log(`Added webhook endpoint ${endpoint.id} for ${endpoint.events.length ? endpoint.events.join(', ') : 'every event'}.`);
      console.log(`Signing secret (shown only now; verify deliveries with a Standard Webhooks library):\n${secret}`);
    });
  }

  @Option({ flags: '-e, --events <types>', description: `comma-separated event types (default: all of ${WEBHOOK_EVENT_TYPES.join(', ')})` })
  parseEvents(value: string): string[] {
    return value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  }

  @Option({ flags: '-d, --description <text>', description: 'a note for operators' })
  parseDescription(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'list', description: 'Registered endpoints (never their secrets)' })
export class WebhooksListCommand extends CommandRunner {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {
    super();
  }

  run(): Promise<void> {
    return runCommand(async () => {
      const endpoints = await this.webhooks.list();
      process.stdout.write(
        table(
          endpoints.map((e) => ({
            id: e.id,
            url: e.url,
            events: e.events.length ? e.events.join(',') : '(all)',
            source: e.source,
            enabled: e.enabled ? 'yes' : 'no',
            created: e.createdAt.toISOString(),
          })),
        ),
      );
    });
  }
}

@SubCommand({ name: 'remove', arguments: '<id>', description: 'Remove an endpoint and its pending deliveries' })
export class WebhooksRemoveCommand extends CommandRunner {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {
    super();
  }

  run([id]: string[]): Promise<void> {
    return runCommand(async () => {
      const endpoint = await this.webhooks.remove(id, CLI_ACTOR);
      console.log(`Removed ${endpoint.id} (${endpoint.url}).`);
    });
  }
}

@SubCommand({ name: 'deliveries', description: 'The newest deliveries: event, endpoint, state, attempts, last answer' })
export class WebhooksDeliveriesCommand extends CommandRunner {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {
    super();
  }

  run(_: string[], options: { limit?: number }): Promise<void> {
    return runCommand(async () => {
      const deliveries = await this.webhooks.recentDeliveries(options.limit);
      process.stdout.write(
        table(
          deliveries.map((d) => ({
            id: d.id,
            type: d.type,
            endpoint: d.endpointId,
            status: d.status,
            attempts: String(d.attempts),
            last: d.lastError ?? (d.lastStatus ? String(d.lastStatus) : ''),
            created: d.createdAt.toISOString(),
          })),
        ),
      );
    });
  }

  @Option({ flags: '-n, --limit <count>', description: 'how many (default 50)' })
  parseLimit(value: string): number {
    return parseLimit(value);
  }
}

@Command({
  name: 'webhooks',
  description: 'Event webhooks',
  subCommands: [WebhooksAddCommand, WebhooksListCommand, WebhooksRemoveCommand, WebhooksDeliveriesCommand],
})
export class WebhooksCommand extends CommandGroup {}
