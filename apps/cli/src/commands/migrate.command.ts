import { Inject } from '@nestjs/common';
import { Command, CommandRunner } from 'nest-commander';
import { DataSource } from 'typeorm';
import { runMigrationsExclusively } from '#database';
import { runCommand } from '../cli-io.js';

@Command({ name: 'migrate', description: 'Run pending database migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  run(): Promise<void> {
    return runCommand(async () => {
      const applied = await runMigrationsExclusively(this.dataSource);
      console.log(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'No pending migrations.');
    });
  }
}
