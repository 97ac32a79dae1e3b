import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { DomainError } from '#common';
import { AppConfig } from '#config';
import { UsersService, type User } from '#users';
import { hmacSigningKey } from './signing-key.js';
import { claimsAreWellFormed, type TokenClaims } from './token-claims.js';

/**
 * Bearer access tokens: signature, algorithm (pinned, RFC 8725 §3.1), issuer, audience and expiry
 * are checked by passport-jwt; then the token must be an access token of a user who still exists,
 * is not blocked, and has not logged out everywhere since (session version).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(AppConfig) config: AppConfig,
    @Inject(UsersService) private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // Passed through to jsonwebtoken, which takes a KeyObject; passport-jwt's types predate that.
      secretOrKey: hmacSigningKey(config.jwt.secret) as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
    });
  }

  async validate(claims: TokenClaims): Promise<User> {
    if (!claimsAreWellFormed(claims, 'access')) throw tokenInvalid();
    const user = await this.users.findById(claims.sub);
    if (!user || !user.isActive || user.sessionVersion !== claims.sv) throw tokenInvalid();
    return user;
  }
}

const tokenInvalid = () => new DomainError('TOKEN_INVALID', 'The token is invalid or expired.');
