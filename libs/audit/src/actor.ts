/**
 * Who made a change, as every audit row and webhook event says it: an admin in the panel or over
 * the REST API, the CLI (no user), the first start (ADMIN_BOOTSTRAP_*), or the account's own user.
 */
export interface Actor {
  userId: string | null;
  via: 'cli' | 'admin-panel' | 'api' | 'self' | 'bootstrap';
  ip?: string | null;
}

/** The management CLI: run by whoever has a shell on the server, so no user. */
export const CLI_ACTOR: Actor = Object.freeze({ userId: null, via: 'cli' });
