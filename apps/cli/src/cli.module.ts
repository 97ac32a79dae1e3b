import { type DynamicModule, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';
import { AccountsModule } from '#accounts';
import { AuditModule } from '#audit';
import { CommonModule } from '#common';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule } from '#database';
import { MetricsModule } from '#metrics';
import { DeliveryModule } from '#delivery';
import { OtpModule } from '#otp';
import { RedisModule } from '#redis';
import { SigningKeysModule } from '#signing-keys';
import { WebhooksModule } from '#webhooks';
import { entities } from '../../api/src/entities.js';
import { AuditCommand } from './commands/audit.command.js';
import { AdminTokenCommand } from './commands/admin-token.command.js';
import { CreateAdminCommand } from './commands/create-admin.command.js';
import { KeysCommand, KeysListCommand, KeysRetireCommand, KeysRotateCommand } from './commands/keys.command.js';
import {
  WebhooksAddCommand,
  WebhooksCommand,
  WebhooksDeliveriesCommand,
  WebhooksListCommand,
  WebhooksRemoveCommand,
} from './commands/webhooks.command.js';
import { MigrateCommand } from './commands/migrate.command.js';
import { OtpCommand, OtpPeekCommand } from './commands/otp.command.js';
import { SessionsCommand, SessionsRevokeAllCommand } from './commands/sessions.command.js';
import { SetPasswordCommand } from './commands/set-password.command.js';
import { UsersBlockCommand, UsersCommand, UsersDeleteCommand, UsersListCommand, UsersUnblockCommand } from './commands/users.command.js';

/** Makes --help say how a person actually runs the CLI. */
@Injectable()
class ProgramName implements OnModuleInit {
  constructor(@InjectCommander() private readonly program: { name(name: string): unknown }) {}

  onModuleInit(): void {
    this.program.name('otp-auth');
  }
}

/** The management commands: thin wrappers over the same services the API and admin panel use. */
@Module({
  imports: [
    CommonModule,
    DatabaseModule.forRoot(entities, { runMigrations: false, joinRunningServer: true }),
    RedisModule,
    SigningKeysModule.forRoot({ loadAtStart: false }),
    WebhooksModule.forRoot({ dispatch: false }),
    AccountsModule,
    AuditModule,
    OtpModule,
  ],
  providers: [
    ProgramName,
    SetPasswordCommand,
    CreateAdminCommand,
    AdminTokenCommand,
    OtpCommand,
    OtpPeekCommand,
    UsersCommand,
    UsersListCommand,
    UsersBlockCommand,
    UsersUnblockCommand,
    UsersDeleteCommand,
    SessionsCommand,
    SessionsRevokeAllCommand,
    MigrateCommand,
    AuditCommand,
    KeysCommand,
    KeysListCommand,
    KeysRotateCommand,
    KeysRetireCommand,
    WebhooksCommand,
    WebhooksAddCommand,
    WebhooksListCommand,
    WebhooksRemoveCommand,
    WebhooksDeliveriesCommand,
  ],
})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config), MetricsModule.forRoot({ serve: 'none' }), DeliveryModule.forRoot(config, 'cli')],
    };
  }
}
