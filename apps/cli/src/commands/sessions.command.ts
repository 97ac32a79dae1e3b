import { Inject } from '@nestjs/common';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import { AccountsService } from '#accounts';
import { CLI_ACTOR } from '#audit';
import { runCommand } from '../cli-io.js';
import { CommandGroup } from './command-group.js';

@SubCommand({ name: 'revoke-all', arguments: '<username>', description: 'End every session and access token of a user' })
export class SessionsRevokeAllCommand extends CommandRunner {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {
    super();
  }

  run([username]: string[]): Promise<void> {
    return runCommand(async () => {
      const user = await this.accounts.revokeAllSessions({ username }, CLI_ACTOR);
      console.log(`Ended every session of ${user.username}.`);
    });
  }
}

@Command({ name: 'sessions', description: 'Sessions (refresh tokens)', subCommands: [SessionsRevokeAllCommand] })
export class SessionsCommand extends CommandGroup {}
