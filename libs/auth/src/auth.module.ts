import { Module } from '@nestjs/common';
import { AccountsModule } from '#accounts';
import { AuditModule } from '#audit';
import { EventsModule } from '#events';
import { AuthTokensModule } from '#auth-tokens';
import { OtpModule } from '#otp';
import { UsersModule } from '#users';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';

@Module({
  imports: [OtpModule, UsersModule, AuthTokensModule, AuditModule, AccountsModule, EventsModule],
  controllers: [AuthController],
  providers: [AuthService],
  exports: [AuthService],
})
export class AuthModule {}
