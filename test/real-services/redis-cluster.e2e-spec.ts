import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { RedisConnection } from '#redis';
import { adminSignIn, startAdminFixture } from '../support/admin-fixture.js';
import { expectError } from '../support/expect-error.js';
import { logIn, newEmail, newUsername, signUp } from '../support/factories.js';
import { describeRaces } from '../support/races.js';
import { inShard, startRedisCluster, type RunningRedisCluster } from '../support/redis-cluster.js';
import { codeIn, startSmtpServer } from '../support/smtp-server.js';
import { eventually } from '../support/tcp-proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Runs only when DATABASE_URL and REDIS_URL name real servers (see jest.config.mjs). The service on
// a real Redis Cluster (3 masters, 3 replicas, started here from the machine's redis-server)
// instead of REDIS_URL: the seed flow, the limits, the races, the delivery queue, the per-IP limits
// and admin sessions; then a master is killed while flows run.
describe('on a Redis Cluster', () => {
  let cluster: RunningRedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(() => cluster?.stop());

  const onCluster = (env: Record<string, string> = {}) => startTestApp({ REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.nodes, ...env });

  describe('the seed flow and the limits', () => {
    let t: TestApp;
    beforeAll(async () => (t = await onCluster({ OTP_RESEND_COOLDOWN_SECONDS: '0', OTP_HOURLY_LIMIT: '3' })));
    afterAll(() => t?.close());

    it('signs up, logs in, refreshes and reads /me, with every key of an identifier in its slot', async () => {
      const user = await signUp(t);
      const tokens = await logIn(t, user.identifier);
      const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${tokens.access}`).expect(200);
      expect(me.body).toEqual(expect.objectContaining({ email: user.identifier, username: user.username }));
      await t.http().post('/api/auth/token/refresh').send({ refresh: tokens.refresh }).expect(200);

      // The code's hash and its counters sit on the master that owns the identifier's hash tag.
      const identifier = newEmail();
      await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
      const stored = await t.app.get(RedisConnection).run((client) => client.hGetAll(`otp:REGISTER:{${identifier}}`));
      expect(stored.h).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const owner = (await cluster.shards()).find((shard) => inShard(shard, identifier))!;
      for (const key of [`otp:REGISTER:{${identifier}}`, `otp:hourly:{${identifier}}`]) expect(inShard(owner, key)).toBe(true);
    });

    it('caps codes per identifier per hour and locks it after ten wrong codes', async () => {
      const capped = newEmail();
      for (let i = 0; i < 3; i++) await t.http().post('/api/auth/otp/request').send({ identifier: capped, purpose: 'LOGIN' }).expect(200);
      expectError(await t.http().post('/api/auth/otp/request').send({ identifier: capped, purpose: 'REGISTER' }), 'OTP_RATE_LIMITED');

      const identifier = newEmail();
      const verify = (otp: string) => t.http().post('/api/auth/otp/verify').send({ identifier, otp, purpose: 'REGISTER' });
      const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      for (let round = 0; round < 2; round++) {
        await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
        const code = await t.lastCode('REGISTER', identifier);
        for (let i = 0; i < 4; i++) expectError(await verify(wrong(code)), 'OTP_INVALID');
        expectError(await verify(wrong(code)), round === 0 ? 'OTP_LOCKED' : 'IDENTIFIER_LOCKED');
      }
      expectError(await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }), 'IDENTIFIER_LOCKED');
    });

    it('is ready only when every master answers', async () => {
      const ready = await t.http().get('/health/ready').expect(200);
      expect(ready.body.checks).toEqual({ database: 'up', redis: 'up' });
    });
  });

  describeRaces('races on the cluster', () => onCluster());

  it('queues codes in the Redis queue on the cluster and delivers them', async () => {
    const smtp = await startSmtpServer();
    const t = await onCluster({
      DELIVERY_CHANNEL: 'live',
      SMTP_URL: smtp.url,
      DELIVERY_QUEUE_PREFIX: `{cluster-${randomBytes(3).toString('hex')}}`,
    });
    try {
      const identifier = newEmail();
      await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
      await eventually(async () => smtp.received.length === 1);
      const otp = codeIn(smtp.received[0].text ?? '')!;
      const verified = await t.http().post('/api/auth/otp/verify').send({ identifier, otp, purpose: 'REGISTER' }).expect(200);
      await t
        .http()
        .post('/api/auth/register')
        .send({ identifier, username: newUsername(), verification_token: verified.body.verification_token })
        .expect(201);
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('keeps per-IP limits and admin sessions in the cluster (the built server)', async () => {
    const fixture = await startAdminFixture(18681, {
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: cluster.nodes,
      RATE_LIMIT_OTP_REQUESTS_PER_IP: '3',
      TRUST_PROXY: 'true',
    });
    try {
      const { cookie } = await adminSignIn(fixture.base, fixture.admin.username, fixture.admin.password);
      expect(cookie).toBeDefined();
      // The session the sign-in stored in the cluster lets the next request in.
      const users = await fetch(`${fixture.base}/admin/api/resources/User/actions/list`, {
        headers: { cookie: cookie! },
        redirect: 'manual',
      });
      expect(users.status).toBe(200);
      const statuses: number[] = [];
      // Its own client address: the in-process apps of this file count their requests from 127.0.0.1 in the same cluster.
      const client = `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}::1`;
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${fixture.base}/api/auth/otp/request`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          body: JSON.stringify({ identifier: newEmail(), purpose: 'REGISTER' }),
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await fixture.stop();
    }
  });

  describe('failover of the master that owns the users being signed up', () => {
    it('answers 503 (never 500, never over 1 s) until a replica has taken over, then works again without a restart', async () => {
      // Every 503 would log a line: keep the output to the report.
      const t = await onCluster({ OTP_RESEND_COOLDOWN_SECONDS: '0', OTP_HOURLY_LIMIT: '100000', LOG_LEVEL: 'fatal' });
      try {
        const victim = (await cluster.shards())[0];
        const onVictim = () => {
          for (;;) {
            const identifier = newEmail();
            if (inShard(victim, identifier)) return identifier;
          }
        };
        const calls: { step: string; startedAt: number; ms: number; status: number; code?: string }[] = [];
        const post = async (step: string, path: string, body: object) => {
          const startedAt = Date.now();
          const res = await t.http().post(path).send(body);
          calls.push({ step, startedAt, ms: Date.now() - startedAt, status: res.status, code: res.body?.code });
          return res;
        };
        const created = new Map<string, string>();
        let stopAt = Number.POSITIVE_INFINITY;
        let killedAt = Number.POSITIVE_INFINITY;

        /** One person signing up and then in, starting over (with the same address) whenever a step fails. */
        const person = async () => {
          const identifier = onVictim();
          const username = newUsername();
          while (Date.now() < stopAt) {
            const steps = async (): Promise<boolean> => {
              const code = async (purpose: 'REGISTER' | 'LOGIN') => {
                if ((await post(`request ${purpose}`, '/api/auth/otp/request', { identifier, purpose })).status !== 200) return undefined;
                const otp = await t.lastCode(purpose, identifier).catch(() => undefined);
                if (!otp) return undefined;
                const verified = await post(`verify ${purpose}`, '/api/auth/otp/verify', { identifier, otp, purpose });
                return verified.status === 200 ? (verified.body.verification_token as string) : undefined;
              };
              if (!created.has(identifier)) {
                const token = await code('REGISTER');
                if (!token) return false;
                const registered = await post('register', '/api/auth/register', { identifier, username, verification_token: token });
                if (registered.status !== 201) return false;
                created.set(identifier, username);
              }
              const token = await code('LOGIN');
              if (!token) return false;
              return (await post('login', '/api/auth/login', { identifier, verification_token: token })).status === 200;
            };
            if ((await steps()) && Date.now() > killedAt) return identifier;
          }
          return identifier;
        };

        const people = Array.from({ length: 6 }, () => person());
        await new Promise((resolve) => setTimeout(resolve, 1500));
        killedAt = Date.now();
        cluster.kill(victim.port);
        const newMaster = await cluster.waitForNewMaster(`{${onVictim()}}`, victim.port, 20_000);
        // Let the flows run on until they have all completed once after the failover.
        stopAt = Date.now() + 15_000;
        const identifiers = await Promise.all(people);

        const after = calls.filter((call) => call.startedAt + call.ms > killedAt);
        const failures = after.filter((call) => call.status >= 300);
        const lastFailureEnd = Math.max(killedAt, ...failures.map((call) => call.startedAt + call.ms));
        const report = {
          killedMaster: victim.port,
          newMaster,
          windowMs: lastFailureEnd - killedAt,
          requestsDuringWindow: after.filter((call) => call.startedAt <= lastFailureEnd).length,
          answered503: failures.filter((call) => call.status === 503).length,
          // Redis replicates asynchronously: a write acknowledged just before the kill may not have
          // reached the replica, so a code or token issued then is gone and the person starts over.
          lostToAsyncReplication: failures.filter((call) => call.status === 400).map((call) => `${call.step}: ${call.code}`),
          slowestMs: Math.max(...calls.map((call) => call.ms)),
          requestsTotal: calls.length,
        };
        mkdirSync('artifacts', { recursive: true });
        writeFileSync('artifacts/redis-failover.json', JSON.stringify(report, null, 2));
        console.log(`Redis Cluster failover: ${JSON.stringify(report)}`);

        expect(calls.filter((call) => call.status >= 500 && call.status !== 503)).toEqual([]);
        for (const call of failures.filter((call) => call.status === 503)) expect(call.code).toBe('REDIS_UNAVAILABLE');
        for (const call of failures.filter((call) => call.status !== 503)) {
          expect({ status: call.status, code: call.code }).toEqual({
            status: 400,
            code: expect.stringMatching(/^(OTP_EXPIRED|VERIFICATION_TOKEN_INVALID)$/),
          });
          // Only what was written before the kill can have been lost.
          expect(call.startedAt).toBeLessThan(lastFailureEnd);
        }
        expect(report.lostToAsyncReplication.length).toBeLessThanOrEqual(6);
        expect(report.slowestMs).toBeLessThan(1000);
        expect(report.windowMs).toBeLessThan(15_000);
        // Every request after the window succeeded, and every person signed in after the failover.
        expect(after.filter((call) => call.startedAt > lastFailureEnd && call.status >= 300)).toEqual([]);
        expect(calls.some((call) => call.startedAt > lastFailureEnd && call.step === 'login' && call.status === 200)).toBe(true);

        // No one lost or duplicated: each person exists exactly once, under the name they chose.
        const rows: { email: string; username: string }[] = await t.app
          .get(DataSource)
          .query('SELECT email, username FROM users WHERE email = ANY($1)', [identifiers]);
        expect(rows.map((row) => row.email).sort()).toEqual([...created.keys()].sort());
        for (const row of rows) expect(row.username).toBe(created.get(row.email));
        expect(created.size).toBe(6);
      } finally {
        await t.close();
      }
    }, 90_000);
  });
});
