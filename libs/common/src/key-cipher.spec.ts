import { randomBytes } from 'node:crypto';
import { KeyCipher, KeyDecryptionError } from './key-cipher.js';

describe('KeyCipher', () => {
  const cipher = new KeyCipher(randomBytes(32));

  it('round-trips, with a fresh IV each time', () => {
    const a = cipher.encrypt('-----BEGIN PRIVATE KEY-----', 'kid-1');
    const b = cipher.encrypt('-----BEGIN PRIVATE KEY-----', 'kid-1');
    expect(a).not.toBe(b);
    expect(cipher.decrypt(a, 'kid-1')).toBe('-----BEGIN PRIVATE KEY-----');
  });

  it('refuses another key-encryption key, another kid, and a tampered ciphertext', () => {
    const stored = cipher.encrypt('secret', 'kid-1');
    expect(() => new KeyCipher(randomBytes(32)).decrypt(stored, 'kid-1')).toThrow(KeyDecryptionError);
    expect(() => cipher.decrypt(stored, 'kid-2')).toThrow(/does not decrypt signing key kid-2/);
    const parts = stored.split('.');
    const flipped = Buffer.from(parts[3], 'base64url');
    flipped[0] ^= 1;
    parts[3] = flipped.toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'), 'kid-1')).toThrow(KeyDecryptionError);
  });
});
