import { Strategy } from 'passport-jwt';

export type Verifier = (
  token: string,
  key: unknown,
  options: object,
  done: (error: Error | null, payload?: { exp?: number }) => void,
) => void;

const MAX_REMEMBERED = 5000;

/**
 * passport-jwt checks the signature of every token on every request (ES256: the largest single
 * cost of an authenticated request). A token cannot change, so once its signature, issuer and
 * audience have passed with a key, the same token with the same key object passes again: this
 * remembers the last few thousand, each until its expiry. A key that is retired is refused before
 * this point (SigningKeysService.verificationKey), and a refreshed key is a new object, so neither
 * can be bypassed; the user behind the token is still checked on every request.
 */
export function rememberVerifiedTokens(): void {
  const strategy = Strategy as unknown as { JwtVerifier: Verifier & { remembers?: true } };
  if (!strategy.JwtVerifier.remembers)
    strategy.JwtVerifier = Object.assign(rememberingVerifier(strategy.JwtVerifier), { remembers: true as const });
}

export function rememberingVerifier(verify: Verifier, now = () => Date.now()): Verifier {
  const verified = new Map<string, { key: unknown; payload: { exp?: number } }>();
  return (token, key, options, done) => {
    const known = verified.get(token);
    if (known && known.key === key && (known.payload.exp ?? 0) > now() / 1000) return done(null, { ...known.payload });
    verify(token, key, options, (error, payload) => {
      if (!error && payload) {
        if (verified.size >= MAX_REMEMBERED) verified.delete(verified.keys().next().value!);
        verified.set(token, { key, payload });
      }
      done(error, payload);
    });
  };
}
