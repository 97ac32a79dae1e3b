import { request as httpRequest, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/cli.js';
import { newEmail } from './support/factories.js';
import { eventually } from './support/tcp-proxy.js';
import { backend } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A request the server has received but cannot finish yet: the headers and half the JSON body go
 * now, the rest when `finish` is called. The server holds it in flight meanwhile, deterministically.
 */
function halfSentRequest(base: string, path: string, body: object) {
  const json = JSON.stringify(body);
  const half = Math.floor(json.length / 2);
  const url = new URL(path, base);
  let response!: Promise<{ status: number; connection: string | undefined; body: Record<string, unknown> }>;
  const request = httpRequest({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': json.length },
  });
  const outcome = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  response = outcome.then(async (res) => {
    let text = '';
    for await (const chunk of res) text += chunk;
    return { status: res.statusCode!, connection: res.headers.connection, body: JSON.parse(text) };
  });
  response.catch(() => undefined); // observed by the test
  request.write(json.slice(0, half));
  return {
    response,
    finish: () => request.end(json.slice(half)),
  };
}

describe(`graceful shutdown on SIGTERM (${backend.database} + ${backend.redis})`, () => {
  const dataDirs: string[] = [];
  const env = (extra: Record<string, string>) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'otp-shutdown-'));
    dataDirs.push(dataDir);
    return { DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL, ...extra };
  };
  afterAll(() => dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('fails readiness at once, keeps serving through the drain delay, finishes requests in flight, then refuses connections and exits 0', async () => {
    const server = await startServer(env({ SHUTDOWN_DRAIN_DELAY_MS: '1500', SHUTDOWN_GRACE_MS: '20000' }), 18581);
    try {
      const inFlight = halfSentRequest(server.base, '/api/auth/otp/request', { identifier: newEmail(), purpose: 'REGISTER' });
      await sleep(200); // time for the server to take the half-sent request in (nothing on the client says so)
      server.signal('SIGTERM');

      await eventually(async () => (await fetch(`${server.base}/health/ready`)).status === 503);
      const ready = await fetch(`${server.base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ code: 'NOT_READY', checks: { shutdown: 'draining' } });
      // Still accepting during the drain delay: a load balancer may not have noticed yet.
      expect(
        (
          await fetch(`${server.base}/api/auth/otp/request`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ identifier: newEmail(), purpose: 'REGISTER' }),
          })
        ).status,
      ).toBe(200);

      // Past the drain delay the listener is closed; the half-sent request is not done.
      await eventually(() =>
        fetch(`${server.base}/health`).then(
          () => false,
          () => true,
        ),
      );
      await expect(fetch(`${server.base}/health`)).rejects.toThrow();
      inFlight.finish();
      const finished = await inFlight.response;
      expect(finished).toMatchObject({ status: 200, connection: 'close', body: { detail: expect.any(String) } });
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      await server.stop();
    }
  });

  it('cuts a request that outlives the grace period, and still exits 0 promptly', async () => {
    const server = await startServer(env({ SHUTDOWN_GRACE_MS: '1000' }), 18582);
    try {
      const stuck = halfSentRequest(server.base, '/api/auth/otp/request', { identifier: newEmail(), purpose: 'REGISTER' });
      await sleep(200); // time for the server to take the request in
      server.signal('SIGTERM');
      // The client never finishes its body: without the grace period the process would wait for ever.
      await expect(stuck.response).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      await server.stop();
    }
  });
});
