import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '#audit';
import { UsersModule } from '#users';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { JwksController } from './jwks.controller.js';
import { SessionsService } from './sessions.service.js';
import { TokenVerifier } from './token-verifier.js';
import { TokensService } from './tokens.service.js';

@Module({
  imports: [
    UsersModule,
    AuditModule,
    PassportModule,
    // No module-wide key: every sign and verify names its key from the KeyRing.
    JwtModule.register({}),
  ],
  controllers: [JwksController],
  providers: [TokensService, TokenVerifier, SessionsService, JwtStrategy, JwtAuthGuard, RolesGuard],
  exports: [TokensService, SessionsService, JwtAuthGuard, RolesGuard],
})
export class AuthTokensModule {}
