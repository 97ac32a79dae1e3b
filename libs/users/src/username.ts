/** The one username rule: 3–30 of a-z, 0-9, "_" and "." (input is lower-cased before the check). */
export const USERNAME_PATTERN = /^[a-z0-9_.]{3,30}$/;
export const USERNAME_RULE = 'username must be 3–30 characters of a-z, 0-9, "_" and "."';
