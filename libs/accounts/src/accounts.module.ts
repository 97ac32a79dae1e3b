import { Module } from '@nestjs/common';
import { AuditModule } from '#audit';
import { EventsModule } from '#events';
import { AuthTokensModule } from '#auth-tokens';
import { UsersModule } from '#users';
import { AccountsService } from './accounts.service.js';

@Module({ imports: [UsersModule, AuthTokensModule, EventsModule, AuditModule], providers: [AccountsService], exports: [AccountsService] })
export class AccountsModule {}
