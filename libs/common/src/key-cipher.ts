import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class KeyDecryptionError extends Error {
  constructor(what: string, id: string) {
    super(
      `KEYS_ENCRYPTION_KEY does not decrypt ${what} ${id} stored in the database. ` +
        'Start with the key-encryption key the keys were created under (or, in development, the DATA_DIR that holds it).',
    );
  }
}

/**
 * Secrets at rest (private signing keys, webhook secrets): AES-256-GCM under the key-encryption key,
 * with the row's id as additional authenticated data, so a ciphertext cannot be moved to another row.
 * Stored as `v1.<iv>.<tag>.<ciphertext>` (base64url).
 */
export class KeyCipher {
  constructor(
    private readonly encryptionKey: Buffer,
    /** What it encrypts, for the error message: 'signing key', 'webhook secret'. */
    private readonly what = 'signing key',
  ) {}

  encrypt(plaintext: string, kid: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv).setAAD(Buffer.from(kid));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  decrypt(stored: string, kid: string): string {
    const [version, iv, tag, ciphertext] = stored.split('.');
    try {
      if (version !== VERSION) throw new Error('unknown format');
      const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(kid));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new KeyDecryptionError(this.what, kid);
    }
  }
}
