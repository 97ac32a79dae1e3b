import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as PassportBaseStrategy } from 'passport';
import { UsersService, type User } from '#users';
import { TokenVerifier, tokenInvalid } from './token-verifier.js';

type VerifyCallback = (request: BearerRequest, token: string, done: (error: unknown, user?: unknown) => void) => void;
type BearerRequest = { headers: { authorization?: string }; sessionId?: string };

/** `Authorization: Bearer <token>` (the scheme in any case), as RFC 6750 §2.1 sends it. */
function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^\s*(\S+)\s+(\S+)\s*$/.exec(header) : null;
  return match && match[1].toLowerCase() === 'bearer' ? match[2] : undefined;
}

/** A passport strategy that only finds the bearer token; what it means is the verify callback's. */
class BearerTokenStrategy extends PassportBaseStrategy {
  constructor(private readonly verifyToken: VerifyCallback) {
    super();
  }

  override authenticate(request: BearerRequest): void {
    const token = bearerToken(request.headers.authorization);
    // An Error, as passport-jwt gave it: JwtAuthGuard tells a missing token (401 AUTH_REQUIRED) by it.
    if (!token) return this.fail(new Error('No auth token'), 401);
    this.verifyToken(request, token, (error, user) =>
      error ? this.error(error) : user ? this.success(user) : this.fail({ message: 'Invalid token' }, 401),
    );
  }
}

/**
 * Bearer access tokens, through @nestjs/passport: verified by TokenVerifier, the same check refresh
 * tokens get, then the token must belong to a user who still exists, is not blocked, and has not
 * logged out everywhere since (session version).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(BearerTokenStrategy, 'jwt') {
  constructor(
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(UsersService) private readonly users: UsersService,
  ) {
    super();
  }

  async validate(request: BearerRequest, token: string): Promise<User> {
    const claims = await this.verifier.verify(token, 'access');
    const user = await this.users.findForAccessToken(claims.sub);
    if (!user || !user.isActive || user.sessionVersion !== claims.sv) throw tokenInvalid();
    request.sessionId = claims.sid;
    return user;
  }
}
