import { CommandRunner } from 'nest-commander';

/**
 * A command that only groups subcommands (`users`, `keys`, …): run without a known subcommand, it
 * shows the choices and exits non-zero. (Not in cli-io.ts: that stays loadable without Nest.)
 */
export class CommandGroup extends CommandRunner {
  async run(): Promise<void> {
    this.command.help({ error: true });
  }
}
