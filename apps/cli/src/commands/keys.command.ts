import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CLI_ACTOR } from '#audit';
import { SigningKeysService } from '#signing-keys';
import { runCommand, table } from '../cli-io.js';
import { CommandGroup } from './command-group.js';

const when = (date: Date | null) => (date ? date.toISOString() : '');

@SubCommand({ name: 'list', description: 'Signing keys: kid, algorithm, state and dates (never a private part)' })
export class KeysListCommand extends CommandRunner {
  constructor(@Inject(SigningKeysService) private readonly keys: SigningKeysService) {
    super();
  }

  run(): Promise<void> {
    return runCommand(async () => {
      const keys = await this.keys.list();
      process.stdout.write(
        table(
          keys.map((k) => ({
            kid: k.kid,
            algorithm: k.algorithm,
            state: k.state,
            created: when(k.createdAt),
            activated: when(k.activatedAt),
            deactivated: when(k.deactivatedAt),
            retired: when(k.retiredAt),
          })),
        ),
      );
    });
  }
}

@SubCommand({ name: 'rotate', description: 'Make the next key sign, keep the current one as previous, and publish a new next key' })
export class KeysRotateCommand extends CommandRunner {
  constructor(@Inject(SigningKeysService) private readonly keys: SigningKeysService) {
    super();
  }

  run(_: string[], options: { force?: boolean }): Promise<void> {
    return runCommand(async () => {
      const { previous, current, next } = await this.keys.rotate(CLI_ACTOR, options);
      console.log(
        `Rotated. ${current} signs now; ${previous} still verifies until its tokens expire; ${next} is published as the next key.`,
      );
      console.log('Running servers switch within KEYS_REFRESH_SECONDS; nobody is logged out.');
    });
  }

  @Option({ flags: '--force', description: 'rotate even if the next key is younger than the JWKS cache lifetime' })
  parseForce(): boolean {
    return true;
  }
}

@SubCommand({
  name: 'retire',
  arguments: '<kid>',
  description: 'Emergency brake: stop publishing and accepting a key; every token it signed dies',
})
export class KeysRetireCommand extends CommandRunner {
  constructor(@Inject(SigningKeysService) private readonly keys: SigningKeysService) {
    super();
  }

  run([kid]: string[], options: { yes?: boolean }): Promise<void> {
    return runCommand(async () => {
      if (!options.yes) {
        process.stderr.write(
          `Retiring ${kid} makes every token it signed invalid at once: the people holding them must sign in again.\n` +
            'Run again with --yes to do it.\n',
        );
        process.exitCode = 1;
        return;
      }
      const { retired, was, current } = await this.keys.retire(kid, CLI_ACTOR);
      console.log(
        `Retired ${retired} (was ${was}). Tokens it signed are refused from now on (by running servers within KEYS_REFRESH_SECONDS). ${current} signs.`,
      );
    });
  }

  @Option({ flags: '--yes', description: 'confirm' })
  parseYes(): boolean {
    return true;
  }
}

@Command({ name: 'keys', description: 'Token signing keys (JWKS)', subCommands: [KeysListCommand, KeysRotateCommand, KeysRetireCommand] })
export class KeysCommand extends CommandGroup {}
