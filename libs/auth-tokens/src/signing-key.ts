import { createSecretKey, type KeyObject } from 'node:crypto';

/**
 * The HS256 key as a KeyObject, made once. Handed a string, jsonwebtoken first tries to parse it as
 * a PEM public key on every verify and throws; that failed parse cost a third of /me's CPU.
 */
export function hmacSigningKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}
