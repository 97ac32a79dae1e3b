import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Response } from 'supertest';
import { createUser, newEmail, signUp } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

const SAMPLES = 150;

type Timed = { ms: number; res: Response };
const timed = async (send: () => PromiseLike<Response>): Promise<Timed> => {
  const start = process.hrtime.bigint();
  const res = await send();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, res };
};
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
/** What a caller sees, less the parts that differ on every call anyway. */
const visible = (res: Response) => ({ status: res.status, body: res.body, retryAfter: res.headers['retry-after'] });

/**
 * An attacker learns nothing from otp/request, otp/verify or login about whether an identifier has
 * an account: the answers are identical, which this asserts; their timing is measured over many
 * interleaved requests and reported (timing is not asserted: it is a measurement, noisy on a shared
 * machine), into artifacts/enumeration-timing.json and the test output.
 */
describe(`known and unknown identifiers answer alike (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ OTP_RESEND_COOLDOWN_SECONDS: '0', OTP_HOURLY_LIMIT: '1000' });
  });
  afterAll(() => t.close());

  it('in status and body, and within noise in time; the timing is reported', async () => {
    const known = await Promise.all(Array.from({ length: SAMPLES }, () => createUser(t).then((u) => u.identifier)));
    const unknown = Array.from({ length: SAMPLES }, () => newEmail());
    const requester = await signUp(t);
    const steps = {
      'otp/request LOGIN': (identifier: string) => t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'LOGIN' }),
      'otp/verify LOGIN, wrong code': (identifier: string) =>
        t.http().post('/api/auth/otp/verify').send({ identifier, otp: '000000', purpose: 'LOGIN' }),
      'login, unknown verification token': (identifier: string) =>
        t.http().post('/api/auth/login').send({ identifier, verification_token: randomUUID() }),
      'otp/request REGISTER (taken vs free)': (identifier: string) =>
        t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }),
      'otp/request CHANGE_IDENTIFIER (taken vs free)': (identifier: string) =>
        t
          .http()
          .post('/api/auth/otp/request')
          .set('Authorization', `Bearer ${requester.access}`)
          .send({ identifier, purpose: 'CHANGE_IDENTIFIER' }),
    };
    const report: Record<string, object> = {};
    for (const [name, send] of Object.entries(steps)) {
      const times = { known: [] as number[], unknown: [] as number[] };
      let answer = '';
      for (let i = 0; i < SAMPLES; i++) {
        // Interleaved, alternating which goes first, so drift on the machine hits both alike.
        const order = i % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
        const answers: Partial<Record<'known' | 'unknown', Timed>> = {};
        for (const group of order) answers[group] = await timed(() => send(group === 'known' ? known[i] : unknown[i]));
        expect(visible(answers.known!.res)).toEqual(visible(answers.unknown!.res));
        answer = `${answers.known!.res.status} ${answers.known!.res.body.code ?? ''}`.trim();
        times.known.push(answers.known!.ms);
        times.unknown.push(answers.unknown!.ms);
      }
      const summary = (values: number[]) => ({ p50: +percentile(values, 50).toFixed(2), p90: +percentile(values, 90).toFixed(2) });
      const k = summary(times.known);
      const u = summary(times.unknown);
      report[name] = { answer, known: k, unknown: u, p50DifferenceMs: +(k.p50 - u.p50).toFixed(2) };
    }
    const result = { backend, samplesPerGroup: SAMPLES, measuredAt: new Date().toISOString(), report };
    mkdirSync('artifacts', { recursive: true });
    writeFileSync(`artifacts/enumeration-timing-${backend.database}.json`, JSON.stringify(result, null, 2));
    console.log(
      `enumeration timing (ms, known vs unknown identifier, ${SAMPLES} interleaved requests each):\n${JSON.stringify(report, null, 2)}`,
    );
  });
});
