import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { DomainError } from '#common';
import { AppConfig } from '#config';
import { UsersService, type User } from '#users';
import { SigningKeysService } from '#signing-keys';
import { claimsAreWellFormed, type TokenClaims } from './token-claims.js';
import { rememberVerifiedTokens } from './verified-tokens.js';

rememberVerifiedTokens();

/**
 * Bearer access tokens: the key is chosen by the token's kid and must be of the algorithm the header
 * names (RFC 8725 §3.1); signature, issuer, audience and expiry are checked by passport-jwt; then the
 * token must be an access token of a user who still exists, is not blocked, and has not logged out
 * everywhere since (session version).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(AppConfig) config: AppConfig,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(SigningKeysService) keys: SigningKeysService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, passed through to jsonwebtoken; passport-jwt's types predate that.
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (error: unknown, key?: Buffer) => void) => {
        keys.verificationKey(rawToken).then(
          ({ key }) => done(null, key as unknown as Buffer),
          (error: unknown) => done(error),
        );
      },
      // The header's alg has already been matched to the key; this is jsonwebtoken's own allow-list.
      algorithms: [config.jwt.algorithm],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      passReqToCallback: true,
    });
  }

  async validate(request: { sessionId?: string }, claims: TokenClaims): Promise<User> {
    if (!claimsAreWellFormed(claims, 'access')) throw tokenInvalid();
    const user = await this.users.findForAccessToken(claims.sub);
    if (!user || !user.isActive || user.sessionVersion !== claims.sv) throw tokenInvalid();
    request.sessionId = claims.sid;
    return user;
  }
}

const tokenInvalid = () => new DomainError('TOKEN_INVALID', 'The token is invalid or expired.');
