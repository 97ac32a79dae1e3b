import { Metrics } from '#metrics';
import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { DataSource, EntityManager, IsNull, Raw } from 'typeorm';
import { AuditService } from '#audit';
import { AtomicWrite, Clock, DomainError } from '#common';
import { AppConfig } from '#config';
import { KeyRing } from '#signing-keys';
import { UsersService, type User } from '#users';
import { WebhooksService } from '#webhooks';
import { RefreshToken } from './refresh-token.entity.js';
import type { ClientContext, TokenClaims, TokenType } from './token-claims.js';
import { TokenVerifier, tokenInvalid } from './token-verifier.js';

export interface TokenPair {
  access: string;
  refresh: string;
}

const hashJti = (jti: string) => createHash('sha256').update(jti).digest('hex');

/** Mints, rotates and revokes the access/refresh pair; refresh tokens are persisted (hashed). */
@Injectable()
export class TokensService {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(JwtService) private readonly jwt: JwtService,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(KeyRing) private readonly keys: KeyRing,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
  ) {}

  /** Issues a pair, opening a new session family unless one is given (rotation). */
  async issuePair(user: User, client: ClientContext, manager: EntityManager, familyId: string = randomUUID()): Promise<TokenPair> {
    const write = new AtomicWrite();
    const sign = this.sessionIn(write, user.id, client, familyId);
    await write.run(manager, 'SELECT 1');
    return sign(user);
  }

  /**
   * A session's refresh-token row as a part of `write` (a new family unless one is given); once the
   * write has run, `sign(user)` answers the pair, signed with the user's row as the write left it.
   */
  sessionIn(
    write: AtomicWrite,
    userId: string,
    client: ClientContext,
    familyId: string = randomUUID(),
  ): (user: User) => Promise<TokenPair> {
    const { accessTtlSeconds, refreshTtlSeconds } = this.config.jwt;
    const refreshJti = randomUUID();
    const v = (value: unknown, type: string) => write.value(value, type);
    write.add(
      `INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, user_agent, ip)
       SELECT ${v(hashJti(refreshJti), 'char(64)')}, ${v(userId, 'uuid')}, ${v(familyId, 'uuid')},
              ${v(new Date(this.clock.now().getTime() + refreshTtlSeconds * 1000), 'timestamptz')},
              ${v(client.userAgent?.slice(0, 512) ?? null, 'varchar')}, ${v(client.ip?.slice(0, 64) ?? null, 'varchar')}
       WHERE ${write.condition}`,
    );
    return async (user) => {
      const [access, refresh] = await Promise.all([
        this.sign(user, 'access', randomUUID(), accessTtlSeconds, familyId),
        this.sign(user, 'refresh', refreshJti, refreshTtlSeconds),
      ]);
      return { access, refresh };
    };
  }

  /** A lone access token (no session), for an operator to paste into Swagger's Authorize button. */
  issueAccessToken(user: User, ttlSeconds: number): Promise<string> {
    return this.sign(user, 'access', randomUUID(), ttlSeconds);
  }

  /**
   * Rotation: the presented refresh token dies and a new pair of the same family is issued. A token
   * that is already dead (rotated, logged out) means it was copied: the whole family is revoked.
   */
  async rotate(refreshToken: string, client: ClientContext): Promise<{ user: User; tokens: TokenPair }> {
    const claims = await this.verify(refreshToken, 'refresh');
    const tokenHash = hashJti(claims.jti);
    const rotated = await this.dataSource.transaction(async (manager) => {
      // The row lock makes concurrent refreshes of one token queue here; the second one then finds
      // the token revoked and is treated as reuse.
      const current = await manager.getRepository(RefreshToken).findOne({
        where: { tokenHash, revokedAt: IsNull(), expiresAt: Raw((column) => `${column} > now()`) },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) return undefined;
      await manager.getRepository(RefreshToken).update({ id: current.id }, { revokedAt: () => 'now()', revokedReason: 'rotated' });
      const user = await this.users.findById(current.userId, manager);
      if (!user || user.sessionVersion !== claims.sv) throw tokenInvalid();
      if (!user.isActive) throw new DomainError('USER_BLOCKED', 'This account is blocked.');
      return { user, tokens: await this.issuePair(user, client, manager, current.familyId) };
    });
    if (rotated) {
      this.metrics.tokensRefreshed.inc();
      this.metrics.tokensIssued.inc({ flow: 'refresh' });
      return rotated;
    }
    await this.handleDeadRefreshToken(tokenHash, client);
    throw tokenInvalid();
  }

  /** Logout: ends the session (the family) the refresh token belongs to. Idempotent. */
  async revokeSession(refreshToken: string): Promise<void> {
    const claims = await this.verify(refreshToken, 'refresh', { ignoreExpiration: true });
    const session = await this.dataSource
      .getRepository(RefreshToken)
      .findOne({ where: { tokenHash: hashJti(claims.jti) }, select: ['familyId', 'userId'] });
    if (!session) throw tokenInvalid();
    await this.revokeFamily(session.familyId, session.userId, 'logout');
  }

  /**
   * Logout everywhere: every refresh token revoked and every access token refused from now on.
   * Runs in the caller's transaction when given one (blocking a user does both in one commit).
   */
  async revokeAllSessions(userId: string, reason = 'logout-all', manager?: EntityManager): Promise<void> {
    const revoke = async (m: EntityManager) => {
      await this.users.bumpSessionVersion(userId, m);
      await m.getRepository(RefreshToken).update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()', revokedReason: reason });
      await this.webhooks.emit('session.revoked', { user_id: userId, session: 'all', reason }, m);
    };
    await (manager ? revoke(manager) : this.dataSource.transaction(revoke));
  }

  /** Verifies signature, algorithm, issuer, audience, expiry and token type (TokenVerifier). */
  verify(token: string, type: TokenType, options: { ignoreExpiration?: boolean } = {}): Promise<TokenClaims> {
    return this.verifier.verify(token, type, options);
  }

  private async handleDeadRefreshToken(tokenHash: string, client: ClientContext): Promise<void> {
    const session = await this.dataSource
      .getRepository(RefreshToken)
      .findOne({ where: { tokenHash }, select: ['id', 'familyId', 'userId', 'revokedAt', 'revokedReason'] });
    if (!session?.revokedAt) return; // unknown or merely expired
    if (session.revokedReason === 'rotated' || session.revokedReason === 'reuse-detected') {
      await this.dataSource.transaction(async (manager) => {
        await this.revokeFamily(session.familyId, session.userId, 'reuse-detected', manager);
        await this.webhooks.emit('token.reuse_detected', { user_id: session.userId, session: session.familyId }, manager);
      });
      this.metrics.reuseDetected.inc();
      await this.audit.recordBestEffort({
        type: 'token.reuse_detected',
        targetId: session.userId,
        ip: client.ip,
        details: { family: session.familyId },
      });
      throw new DomainError('TOKEN_REUSED', 'This refresh token was already used; every session descended from it has been revoked.');
    }
  }

  /** Ends one session: every live refresh token of the family (and says so to webhooks, once). */
  async revokeFamily(familyId: string, userId: string, reason: string, manager?: EntityManager): Promise<void> {
    if (!manager) return this.dataSource.transaction((m) => this.revokeFamily(familyId, userId, reason, m));
    const repository = manager.getRepository(RefreshToken);
    if (!(await repository.existsBy({ familyId, revokedAt: IsNull() }))) return; // already ended: logout is idempotent
    await repository.update({ familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()', revokedReason: reason });
    await this.webhooks.emit('session.revoked', { user_id: userId, session: familyId, reason }, manager);
  }

  private async sign(user: User, type: TokenType, jti: string, ttlSeconds: number, sessionId?: string): Promise<string> {
    const signer = await this.keys.currentSigner();
    return this.jwt.signAsync(
      // iat from the Clock (jsonwebtoken reckons exp from it), as the verifier reads the Clock too.
      {
        sub: user.id,
        type,
        sv: user.sessionVersion,
        iat: Math.floor(this.clock.now().getTime() / 1000),
        ...(sessionId ? { sid: sessionId } : {}),
      },
      {
        privateKey: signer.key as never,
        algorithm: signer.algorithm,
        keyid: signer.kid,
        // RFC 9068: a verifier elsewhere can require typ "at+jwt" and so never take a refresh token for access.
        header: { alg: signer.algorithm, typ: type === 'access' ? 'at+jwt' : 'JWT' },
        jwtid: jti,
        expiresIn: ttlSeconds,
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
      },
    );
  }
}
