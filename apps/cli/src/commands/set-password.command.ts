import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AccountsService } from '#accounts';
import { CLI_ACTOR } from '#audit';
import { readPassword, runCommand } from '../cli-io.js';

/** Seed step 10: give a user a password for the admin panel (and, with --admin, the role). */
@Command({ name: 'set-password', arguments: '<username>', description: 'Set or reset the admin-panel password of a user' })
export class SetPasswordCommand extends CommandRunner {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {
    super();
  }

  run([username]: string[], options: { password?: string; admin?: boolean }): Promise<void> {
    return runCommand(async () => {
      const password = options.password ?? (await readPassword(`New password for ${username}: `));
      const user = await this.accounts.setPassword({ username }, password, CLI_ACTOR, { grantAdmin: options.admin });
      console.log(`Password set for ${user.username} (role: ${user.role}). Sign in at /admin.`);
    });
  }

  @Option({ flags: '-p, --password <password>', description: 'the password (prompted for, hidden, when absent)' })
  parsePassword(value: string): string {
    return value;
  }

  @Option({ flags: '--admin', description: 'also grant the admin role' })
  parseAdmin(): boolean {
    return true;
  }
}
