import type { Actor } from '#audit';
import type { WebhookData, WebhookEventType } from '#webhooks';

/** What every account event knows of the account it is about. */
export interface AccountFacts {
  id: string;
  username: string;
  email: string | null;
  phone: string | null;
}

/**
 * Every event about an account, by name (the audit log's type), with what it carries. Events with
 * a `publish` rule below also go out as webhooks, under their published name.
 */
export interface AccountEventMap {
  /** The person made the account themselves, with a REGISTER code sent to `channel`. */
  'user.signed_up': { channel: 'email' | 'phone' };
  /** An operator made the account (CLI, admin API, first start). */
  'user.created': { role: string };
  'user.logged_in': Record<string, never>;
  'user.updated': { changed: string };
  'user.blocked': { changed: string };
  'user.unblocked': { changed: string };
  'user.deleted': Record<string, never>;
  'user.identifier_changed': { kind: 'email' | 'phone'; added: boolean };
  'sessions.revoked': { family?: string };
  'admin.password_set': { grantAdmin: boolean };
  'admin.token_issued': { ttlSeconds: number };
}

export type AccountEventType = keyof AccountEventMap;
export type PublishedEventType = 'user.signed_up' | 'user.created' | 'user.logged_in' | 'user.blocked' | 'user.unblocked' | 'user.deleted';

/** A published event needs the account's facts for its payload; the others only its id. */
export type AccountOf<K extends AccountEventType> = K extends PublishedEventType ? AccountFacts : Pick<AccountFacts, 'id'>;

type Publish<K extends AccountEventType> = (
  account: AccountFacts,
  event: AccountEventMap[K],
  actor: Actor,
) => { type: WebhookEventType; data: WebhookData };

/**
 * The webhook each event is published as. The published names and payloads are an API that
 * receivers code against (docs/api.md, *Event webhooks*): they stay as they are, so sign-up and an
 * operator's creation both publish `user.created`.
 */
export const PUBLISHED: { [K in PublishedEventType]: Publish<K> } = {
  'user.signed_up': (account) => ({
    type: 'user.created',
    data: { user_id: account.id, username: account.username, email: account.email, phone: account.phone },
  }),
  'user.created': (account, _event, actor) => ({
    type: 'user.created',
    data: { user_id: account.id, username: account.username, email: account.email, phone: account.phone, via: actor.via },
  }),
  'user.logged_in': (account) => ({ type: 'user.logged_in', data: { user_id: account.id, username: account.username } }),
  'user.blocked': (account, _event, actor) => ({
    type: 'user.blocked',
    data: { user_id: account.id, username: account.username, via: actor.via },
  }),
  'user.unblocked': (account, _event, actor) => ({
    type: 'user.unblocked',
    data: { user_id: account.id, username: account.username, via: actor.via },
  }),
  'user.deleted': (account, _event, actor) => ({
    type: 'user.deleted',
    data: { user_id: account.id, username: account.username, via: actor.via },
  }),
};
