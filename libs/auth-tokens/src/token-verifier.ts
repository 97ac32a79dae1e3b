import type { KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Clock, DomainError } from '#common';
import { AppConfig } from '#config';
import { KeyRing } from '#signing-keys';
import { claimsAreWellFormed, type TokenClaims, type TokenType } from './token-claims.js';

/** Access tokens whose signature has been checked, remembered until they expire (the newest few thousand). */
const MAX_REMEMBERED = 5000;

/**
 * The one verification of our JWTs, for access tokens (the bearer guard) and refresh tokens alike:
 * the key is chosen by the token's kid and must be of the algorithm its header names (RFC 8725
 * §3.1, in KeyRing.verificationKey), then signature, issuer, audience, expiry, type and
 * shape are checked.
 *
 * Checking an ES256 signature is the largest single cost of an authenticated request, and a token
 * cannot change: an access token that passed with a key passes again with that same key object
 * until it expires. A retired key is refused before this point and a reloaded key is a new object,
 * so neither can be bypassed; the user behind the token is still checked on every request.
 */
@Injectable()
export class TokenVerifier {
  private readonly remembered = new Map<string, { key: KeyObject; claims: TokenClaims }>();

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(JwtService) private readonly jwt: JwtService,
    @Inject(KeyRing) private readonly keys: KeyRing,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async verify(token: string, type: TokenType, options: { ignoreExpiration?: boolean } = {}): Promise<TokenClaims> {
    const { key, algorithm } = await this.keys.verificationKey(token);
    const nowSeconds = this.clock.now().getTime() / 1000;
    const known = this.remembered.get(token);
    if (known && known.key === key && known.claims.type === type && known.claims.exp > nowSeconds) return { ...known.claims };
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, {
        publicKey: key as never,
        algorithms: [algorithm],
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        ignoreExpiration: options.ignoreExpiration,
        clockTimestamp: Math.floor(nowSeconds),
      });
    } catch {
      throw tokenInvalid();
    }
    if (!claimsAreWellFormed(claims, type)) throw tokenInvalid();
    if (type === 'access' && claims.exp > nowSeconds) {
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
      this.remembered.set(token, { key, claims });
    }
    return claims;
  }
}

export const tokenInvalid = () => new DomainError('TOKEN_INVALID', 'The token is invalid or expired.');
