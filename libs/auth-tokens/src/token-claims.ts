export type TokenType = 'access' | 'refresh';

/** The claims of our JWTs: registered claims (RFC 7519 §4.1) plus the token type and session version. */
export interface TokenClaims {
  sub: string;
  jti: string;
  type: TokenType;
  /** users.session_version at issue time; bumping it kills every earlier token of the user. */
  sv: number;
  /** Access tokens of a session: the session (refresh-token family) they were issued with. */
  sid?: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

/** Where a session was opened from, kept with the refresh token for operators. */
export interface ClientContext {
  userAgent?: string;
  ip?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A correctly signed token can still be of the wrong type or shape; this checks both. */
export function claimsAreWellFormed(claims: Partial<TokenClaims>, type: TokenType): claims is TokenClaims {
  return (
    claims.type === type &&
    typeof claims.sub === 'string' &&
    UUID.test(claims.sub) &&
    typeof claims.jti === 'string' &&
    typeof claims.sv === 'number' &&
    (claims.sid === undefined || (typeof claims.sid === 'string' && UUID.test(claims.sid)))
  );
}
