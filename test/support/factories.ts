import { randomBytes } from 'node:crypto';
import { AccountsService } from '#accounts';
import { CLI_ACTOR } from '#audit';
import { AtomicWrite } from '#common';
import { UsersService, normalizeIdentifier } from '#users';
import type { TestApp } from './test-app.js';

const unique = () => randomBytes(5).toString('hex');

export const newEmail = () => `user.${unique()}@example.com`;
export const newUsername = () => `u_${unique()}`;
/** A valid German mobile number in E.164 (random subscriber part). */
export const newPhone = () => `+49151${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
/** A valid French mobile number: +33 61… is valid throughout (some of +33 6… is not). */
export const newFrenchPhone = () => `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

export interface SignedUpUser {
  identifier: string;
  username: string;
  id: string;
  access: string;
  refresh: string;
}

/** Steps 1–4 of the seed flow: request, verify, register. */
export async function verificationToken(t: TestApp, identifier: string, purpose: 'REGISTER' | 'LOGIN'): Promise<string> {
  await t.http().post('/api/auth/otp/request').send({ identifier, purpose }).expect(200);
  const otp = await t.lastCode(purpose, identifier);
  const verified = await t.http().post('/api/auth/otp/verify').send({ identifier, otp, purpose }).expect(200);
  return verified.body.verification_token;
}

export async function signUp(t: TestApp, identifier = newEmail(), username = newUsername()): Promise<SignedUpUser> {
  const token = await verificationToken(t, identifier, 'REGISTER');
  const res = await t.http().post('/api/auth/register').send({ identifier, username, verification_token: token }).expect(201);
  return { identifier, username, id: res.body.user.id, access: res.body.access, refresh: res.body.refresh };
}

export async function logIn(t: TestApp, identifier: string): Promise<{ access: string; refresh: string }> {
  const token = await verificationToken(t, identifier, 'LOGIN');
  const res = await t.http().post('/api/auth/login').send({ identifier, verification_token: token }).expect(200);
  return { access: res.body.access, refresh: res.body.refresh };
}

/** A user written straight to the database, for tests about what happens to an existing account. */
export async function createUser(
  t: TestApp,
  identifier = newEmail(),
  username = newUsername(),
): Promise<{ id: string; identifier: string; username: string }> {
  const write = new AtomicWrite();
  const { id } = t.app.get(UsersService).createIn(write, normalizeIdentifier(identifier), username);
  await t.app.get(UsersService).runForAccount(write);
  return { id, identifier, username };
}

/** A signed-up user made an admin (as `set-password --admin` would), then signed in again: a token with the admin role. */
export async function signUpAdmin(t: TestApp): Promise<SignedUpUser> {
  const user = await signUp(t);
  await t.app.get(AccountsService).update({ id: user.id }, { role: 'admin' }, CLI_ACTOR);
  return { ...user, ...(await logIn(t, user.identifier)) };
}
