import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccountsService } from '#accounts';
import { AuditService, type Actor } from '#audit';
import { AtomicWrite, Clock, DependencyUnavailableError, DomainError, isDatabaseUnavailable } from '#common';
import { TokensService, type ClientContext, type TokenPair } from '#auth-tokens';
import { Metrics } from '#metrics';
import { OtpService, type OtpPurpose, type SpentVerificationToken } from '#otp';
import { UsersService, type Identifier, type User } from '#users';
import { AccountEvents } from '#events';

export interface Session {
  user: User;
  tokens: TokenPair;
}

/** Sign-up and sign-in: spend a verification token, then open a session. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');

  constructor(
    @Inject(OtpService) private readonly otp: OtpService,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(AccountEvents) private readonly events: AccountEvents,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(AccountsService) private readonly accounts: AccountsService,
  ) {}

  /**
   * The token is spent first (so a stranger cannot probe usernames), then the user, its audit row,
   * its webhook events and its first session are written by one statement (AtomicWrite). A taken
   * username is found by the unique index, not by a query before it (one round trip less, and no
   * race between the two); the token is then given back.
   */
  async register(rawIdentifier: string, username: string, verificationToken: string, client: ClientContext): Promise<Session> {
    const identifier = this.otp.normalize(rawIdentifier);
    const session = await this.spendVerificationToken(verificationToken, 'REGISTER', identifier, async () => {
      const write = new AtomicWrite();
      const account = this.users.createIn(write, identifier, username);
      this.events.recordIn(write, 'user.signed_up', account, selfActor(account.id, client), { channel: identifier.kind });
      const sign = this.tokens.sessionIn(write, account.id, client);
      const user = (await this.users.runForAccount(write))!;
      return { user, tokens: await sign(user) };
    });
    this.metrics.tokensIssued.inc({ flow: 'register' });
    return session;
  }

  /**
   * The account is read, then stamped, audited, published and given its session by one statement
   * that writes only if the account is still as it was read; if it changed in between (blocked,
   * renamed, deleted), it is read again.
   */
  async login(rawIdentifier: string, verificationToken: string, client: ClientContext): Promise<Session> {
    const identifier = this.otp.normalize(rawIdentifier);
    let blockedUserId: string | undefined;
    try {
      const session = await this.spendVerificationToken(verificationToken, 'LOGIN', identifier, async () => {
        for (let attempt = 1; ; attempt++) {
          const found = await this.users.findByIdentifier(identifier);
          if (!found) throw new DomainError('VERIFICATION_TOKEN_INVALID', 'There is no account for this identifier.');
          if (!found.isActive) {
            blockedUserId = found.id;
            throw new DomainError('USER_BLOCKED', 'This account is blocked.');
          }
          const write = new AtomicWrite();
          await this.users.recordLoginIn(write, found, this.clock.now());
          this.events.recordIn(write, 'user.logged_in', found, selfActor(found.id, client), {});
          const sign = this.tokens.sessionIn(write, found.id, client);
          const user = await this.users.runForAccount(write);
          if (user) return { user, tokens: await sign(user) };
          // Changed between the read and the write three times running: answered as busy (503), to retry.
          if (attempt === 3) throw new DependencyUnavailableError('database');
        }
      });
      this.metrics.tokensIssued.inc({ flow: 'login' });
      return session;
    } catch (error) {
      if (blockedUserId)
        await this.audit.recordBestEffort({
          type: 'user.blocked_attempt',
          targetId: blockedUserId,
          ip: client.ip,
          details: { via: 'login' },
        });
      throw error;
    }
  }

  /**
   * A new email or phone for the signed-in account, proven by a CHANGE_IDENTIFIER code sent to it.
   * The address it replaces (if any) is told, and no longer signs in.
   */
  async changeIdentifier(user: User, rawIdentifier: string, verificationToken: string, actor: Actor): Promise<User> {
    const identifier = this.otp.normalize(rawIdentifier);
    const { user: changed, replaced } = await this.spendVerificationToken(verificationToken, 'CHANGE_IDENTIFIER', identifier, () =>
      this.accounts.changeIdentifier({ id: user.id }, identifier, actor),
    );
    // After the commit, and never failing the change: it is made, whether or not the notice can go out.
    if (replaced) {
      await this.otp
        .sendNotice(replaced, 'CHANGE_IDENTIFIER', 'identifier-changed')
        .catch((error: unknown) =>
          this.logger.warn(`Could not queue the identifier-changed notice: ${String((error as Error)?.message ?? error)}`),
        );
    }
    return changed;
  }

  /**
   * Deleting one's own account needs a fresh proof: a LOGIN verification token for one of the
   * account's identifiers, verified within VERIFICATION_TOKEN_TTL_SECONDS, so an access token alone
   * (stolen, or left on a shared screen) cannot delete the account.
   */
  async deleteOwnAccount(user: User, verificationToken: string, actor: Actor): Promise<void> {
    const identifiers = [user.email, user.phone]
      .filter((value): value is string => value !== null)
      .map((value) => this.otp.normalize(value));
    let spent: SpentVerificationToken | undefined;
    for (const identifier of identifiers) {
      spent = await this.otp.consumeVerificationToken(verificationToken, 'LOGIN', identifier).catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'VERIFICATION_TOKEN_INVALID') return undefined;
        throw error;
      });
      if (spent) break;
    }
    if (!spent)
      throw new DomainError(
        'VERIFICATION_TOKEN_INVALID',
        'The verification token is invalid, expired, already used, or not from a LOGIN code for this account.',
      );
    try {
      await this.accounts.delete({ id: user.id }, actor);
    } catch (error) {
      await spent.restore().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Spends the token, then runs the work. If the work fails because a dependency is down or the
   * username is taken, the token is given back so the person can simply retry.
   */
  private async spendVerificationToken<T>(token: string, purpose: OtpPurpose, identifier: Identifier, work: () => Promise<T>): Promise<T> {
    const spent = await this.otp.consumeVerificationToken(token, purpose, identifier);
    try {
      return await work();
    } catch (error) {
      const retryable =
        isDatabaseUnavailable(error) ||
        error instanceof DependencyUnavailableError ||
        (error instanceof DomainError && error.code === 'USERNAME_TAKEN');
      if (retryable) await spent.restore().catch(() => undefined);
      throw error;
    }
  }
}

/** Sign-up and sign-in are done by the person themselves, from where they are. */
const selfActor = (userId: string, client: ClientContext): Actor => ({ userId, via: 'self', ip: client.ip });
