import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AccountsService } from '#accounts';
import { CLI_ACTOR } from '#audit';
import { parseDuration, runCommand } from '../cli-io.js';

/** Seed step 11: an access token to paste into Swagger's Authorize button. */
@Command({
  name: 'admin-token',
  arguments: '<username>',
  description: "Print an access token for an admin (for Swagger's Authorize button)",
})
export class AdminTokenCommand extends CommandRunner {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {
    super();
  }

  run([username]: string[], options: { ttl?: string; anyUser?: boolean }): Promise<void> {
    return runCommand(async () => {
      const token = await this.accounts.issueAccessToken({ username }, parseDuration(options.ttl ?? '1h'), CLI_ACTOR, {
        anyUser: options.anyUser,
      });
      console.log(token);
    });
  }

  @Option({ flags: '--ttl <duration>', description: 'lifetime, e.g. 900, 15m, 1h (default 1h)' })
  parseTtl(value: string): string {
    return value;
  }

  @Option({ flags: '--any-user', description: 'allow a user who is not an admin' })
  parseAnyUser(): boolean {
    return true;
  }
}
