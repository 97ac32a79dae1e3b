import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AccountsService } from '#accounts';
import { CLI_ACTOR } from '#audit';
import { DomainError } from '#common';
import { parseLimit, runCommand, table } from '../cli-io.js';
import { CommandGroup } from './command-group.js';

@SubCommand({ name: 'list', description: 'List users, newest first' })
export class UsersListCommand extends CommandRunner {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {
    super();
  }

  run(_: string[], options: { search?: string; limit?: number }): Promise<void> {
    return runCommand(async () => {
      const { items: users } = await this.accounts.list({ search: options.search, limit: options.limit ?? 50 });
      process.stdout.write(
        table(
          users.map((u) => ({
            username: u.username,
            email: u.email ?? '',
            phone: u.phone ?? '',
            role: u.role,
            active: u.isActive ? 'yes' : 'BLOCKED',
            created: u.createdAt.toISOString(),
          })),
        ),
      );
    });
  }

  @Option({ flags: '-s, --search <text>', description: 'match username, email or phone' })
  parseSearch(value: string): string {
    return value;
  }

  @Option({ flags: '-n, --limit <count>', description: 'how many (default 50)' })
  parseLimit(value: string): number {
    return parseLimit(value);
  }
}

@SubCommand({ name: 'block', arguments: '<username>', description: 'Block a user and end all their sessions' })
export class UsersBlockCommand extends CommandRunner {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {
    super();
  }

  run([username]: string[]): Promise<void> {
    return runCommand(async () => {
      const user = await this.accounts.block({ username }, CLI_ACTOR);
      console.log(`Blocked ${user.username}; their sessions and access tokens no longer work.`);
    });
  }
}

@SubCommand({ name: 'unblock', arguments: '<username>', description: 'Let a blocked user sign in again' })
export class UsersUnblockCommand extends CommandRunner {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {
    super();
  }

  run([username]: string[]): Promise<void> {
    return runCommand(async () => {
      const user = await this.accounts.unblock({ username }, CLI_ACTOR);
      console.log(`Unblocked ${user.username}.`);
    });
  }
}

@SubCommand({
  name: 'delete',
  arguments: '<username>',
  description: 'Delete a user: every session ends, the address can register again (needs --yes)',
})
export class UsersDeleteCommand extends CommandRunner {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {
    super();
  }

  run([username]: string[], options: { yes?: boolean }): Promise<void> {
    return runCommand(async () => {
      if (!options.yes) throw new DomainError('VALIDATION_FAILED', `Deleting "${username}" cannot be undone: run it again with --yes.`);
      await this.accounts.delete({ username }, CLI_ACTOR);
      console.log(`Deleted ${username}; their sessions ended, and the address can register again.`);
    });
  }

  @Option({ flags: '--yes', description: 'really delete' })
  parseYes(): boolean {
    return true;
  }
}

@Command({
  name: 'users',
  description: 'List, block, unblock and delete users',
  subCommands: [UsersListCommand, UsersBlockCommand, UsersUnblockCommand, UsersDeleteCommand],
})
export class UsersCommand extends CommandGroup {}
