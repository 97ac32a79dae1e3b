import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '#audit';
import { AppConfig } from '#config';
import { UsersModule } from '#users';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { hmacSigningKey } from './signing-key.js';
import { TokensService } from './tokens.service.js';

@Module({
  imports: [
    UsersModule,
    AuditModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ secret: hmacSigningKey(config.jwt.secret), signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  providers: [TokensService, JwtStrategy, JwtAuthGuard, RolesGuard],
  exports: [TokensService, JwtAuthGuard, RolesGuard],
})
export class AuthTokensModule {}
