import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../support/cli.js';
import { eventually } from '../support/tcp-proxy.js';

// Runs only when DATABASE_URL and REDIS_URL name real servers (see jest.config.mjs): HTTP_WORKERS=2,
// the built server as node:cluster workers under a supervisor.
const statusOnNewConnection = (url: string) =>
  new Promise<number | undefined>((resolve, reject) =>
    get(url, { agent: false, timeout: 2000 }, (res) => resolve(res.resume().statusCode))
      .on('error', reject)
      .on('timeout', () => reject(new Error(`${url}: no answer in 2 s`))),
  );

describe('several API workers on one port (HTTP_WORKERS)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'otp-workers-'));
  const metricsToken = 'workers-metrics-token-0123456789';
  let server: RunningServer;
  const workerPids = () =>
    execFileSync('ps', ['-o', 'pid=', '--ppid', String(server.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter(Boolean);
  const scrape = async () =>
    (await fetch('http://127.0.0.1:18692/metrics', { headers: { authorization: `Bearer ${metricsToken}` } })).text();
  const unauthorizedMe = (text: string) =>
    Number(/http_request_duration_seconds_count\{method="GET",route="\/api\/auth\/me",status_code="401"\} (\d+)/.exec(text)?.[1] ?? 0);

  beforeAll(async () => {
    server = await startServer(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: process.env.DATABASE_URL,
        REDIS_URL: process.env.REDIS_URL,
        HTTP_WORKERS: '2',
        METRICS_PORT: '18692',
        METRICS_TOKEN: metricsToken,
        LOG_LEVEL: 'log',
        LOG_FORMAT: 'json',
      },
      18691,
    );
    await eventually(async () => workerPids().length === 2 && (await fetch(`${server.base}/health/ready`)).ok);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves from both workers, and sums their metrics on METRICS_PORT', async () => {
    const before = unauthorizedMe(await scrape());
    await Promise.all(Array.from({ length: 40 }, () => fetch(`${server.base}/api/auth/me`)));
    expect(unauthorizedMe(await scrape()) - before).toBe(40);
    expect((await fetch('http://127.0.0.1:18692/metrics')).status).toBe(401);
    // Both workers took connections (each logs its own request lines, with its own pid, flushed
    // within 250 ms: the JSON logs are buffered).
    const pidsLogging = () =>
      new Set([...server.output().matchAll(/"pid":(\d+)[^\n]*"route":"\/api\/auth\/me"/g)].map((match) => match[1])).size;
    await eventually(async () => pidsLogging() === 2);
    expect(pidsLogging()).toBe(2);
  });

  it('replaces a worker that dies, and keeps answering meanwhile', async () => {
    const [victim] = workerPids();
    process.kill(victim, 'SIGKILL');
    await eventually(async () => server.output().includes(`Worker ${victim} ended (SIGKILL); starting another in 1 s`));
    // New connections (a kept-alive one to the dead worker is gone with it) go to the survivor.
    for (let i = 0; i < 10; i++) expect(await statusOnNewConnection(`${server.base}/health`)).toBe(200);
    await eventually(async () => workerPids().length === 2 && !workerPids().includes(victim));
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
