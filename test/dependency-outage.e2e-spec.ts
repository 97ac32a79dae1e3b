import net from 'node:net';
import { expectError } from './support/expect-error.js';
import { newEmail } from './support/factories.js';
import { backend, startTestApp } from './support/test-app.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe(`dependency outages (${backend.database} + ${backend.redis})`, () => {
  it('answers 503 REDIS_UNAVAILABLE promptly when Redis cannot be reached, and says so in readiness', async () => {
    const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    try {
      const started = Date.now();
      const res = await t.http().post('/api/auth/otp/request').send({ identifier: newEmail(), purpose: 'REGISTER' });
      expectError(res, 'REDIS_UNAVAILABLE');
      expect(res.headers['retry-after']).toBeDefined();
      expect(Date.now() - started).toBeLessThan(1500);
      const ready = await t.http().get('/health/ready').expect(503);
      expect(ready.body).toEqual(
        expect.objectContaining({ code: 'NOT_READY', checks: expect.objectContaining({ redis: 'down', database: 'up' }) }),
      );
    } finally {
      await t.close();
    }
  });
});
