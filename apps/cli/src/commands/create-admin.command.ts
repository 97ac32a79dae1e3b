import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AccountsService } from '#accounts';
import { CLI_ACTOR } from '#audit';
import { runCommand } from '../cli-io.js';

@Command({ name: 'create-admin', arguments: '<username>', description: 'Create an admin user, unless one by that name exists' })
export class CreateAdminCommand extends CommandRunner {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {
    super();
  }

  run([username]: string[], options: { email?: string; password?: string }): Promise<void> {
    return runCommand(async () => {
      if (!options.email) throw new Error('--email is required');
      const { user, created } = await this.accounts.createAdmin(username, options.email, options.password, CLI_ACTOR);
      if (created)
        console.log(`Created admin ${user.username} <${user.email}>${options.password ? '' : '; give it a password with set-password'}.`);
      else console.log(`A user named ${user.username} already exists (role: ${user.role}); nothing changed.`);
    });
  }

  @Option({ flags: '-e, --email <email>', description: "the admin's email address (required)" })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '-p, --password <password>', description: 'a password for the admin panel (or set it later)' })
  parsePassword(value: string): string {
    return value;
  }
}
