/** The one username rule: 3–30 of a-z, 0-9, "_" and "." (input is lower-cased before the check). */
export const USERNAME_PATTERN = /^[a-z0-9_.]{3,30}$/;
export const USERNAME_RULE = 'username must be 3–30 characters of a-z, 0-9, "_" and "."';

/** Usernames are case-insensitive: stored, compared and looked up trimmed and lower-cased. */
export function normalizeUsername(raw: string): string {
  return raw.trim().toLowerCase();
}
