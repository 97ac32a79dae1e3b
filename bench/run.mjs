// `npm run bench`: starts the built server on the backends the environment selects (DATABASE_URL /
// REDIS_URL, else the embedded default in a scratch DATA_DIR), then measures with autocannon:
// GET /api/auth/me, POST /api/auth/otp/request, POST /api/auth/otp/verify (correct codes), and
// complete sign-up + sign-in flows. A benchmark, not a test: it prints figures and asserts nothing.
// Options (env): BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_FLOW_CLIENTS (16), BENCH_PORT (18090).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { runFlows } from './flow.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const flowClients = Number(process.env.BENCH_FLOW_CLIENTS ?? 16);
const port = Number(process.env.BENCH_PORT ?? 18090);
const base = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'otp-bench-'));
const backends = `${process.env.DATABASE_URL ? 'postgres' : 'pglite'} + ${process.env.REDIS_URL ? 'redis' : 'in-process'}`;
const tag = `${Date.now().toString(36)}${process.pid}`;
let counter = 0;

const server = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    // The embedded default gets a scratch database; on a real database the development secrets
    // (the key-encryption key of its signing keys) are the ones `npm start` uses.
    DATA_DIR: process.env.DATABASE_URL ? (process.env.DATA_DIR ?? './data') : dataDir,
    LOG_LEVEL: 'warn',
    // The flows and the verify benchmark reuse identifiers faster than a person would.
    OTP_RESEND_COOLDOWN_SECONDS: '0',
    OTP_HOURLY_LIMIT: '1000000',
    // One load generator is one client IP; per-IP limits would stop it in the first second.
    RATE_LIMIT_OTP_REQUESTS_PER_IP: '100000000',
    RATE_LIMIT_OTP_VERIFIES_PER_IP: '100000000',
    RATE_LIMIT_SIGN_INS_PER_IP: '100000000',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

async function json(method, path, body, token) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}
const devCode = async (identifier, purpose) =>
  (await fetch(`${base}/api/dev/otp?identifier=${encodeURIComponent(identifier)}&purpose=${purpose}`)).text();

async function waitReady() {
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    const ok = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready in 30 s');
}

function cannon(title, path, options = {}) {
  return new Promise((resolve, reject) => {
    const run = { url: base + path, connections, duration: seconds, ...options };
    if (run.amount) delete run.duration; // a fixed number of requests instead of a time
    autocannon(run, (error, result) => {
      if (error) return reject(error);
      resolve({
        benchmark: title,
        'req/s': Math.round(result.requests.total / result.duration),
        'p50 ms': result.latency.p50,
        'p99 ms': result.latency.p99,
        'non-2xx': result.non2xx + result.errors + result.timeouts,
      });
    });
  });
}

const rss = async () => {
  const { execSync } = await import('node:child_process');
  return Math.round(Number(execSync(`ps -o rss= -p ${server.pid}`).toString().trim()) / 1024);
};

try {
  await waitReady();
  const rows = [];

  // One signed-in user for /me.
  const email = `bench-${tag}@example.com`;
  await json('POST', '/api/auth/otp/request', { identifier: email, purpose: 'REGISTER' });
  const verified = await json('POST', '/api/auth/otp/verify', { identifier: email, otp: await devCode(email, 'REGISTER'), purpose: 'REGISTER' });
  const session = await json('POST', '/api/auth/register', { identifier: email, username: `b${tag}`.slice(0, 30), verification_token: verified.verification_token });

  rows.push(await cannon('GET /api/auth/me', '/api/auth/me', { headers: { authorization: `Bearer ${session.access}` } }));

  rows.push(
    await cannon('POST /api/auth/otp/request', '/api/auth/otp/request', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ identifier: `r${tag}n${counter++}@example.com`, purpose: 'REGISTER' }) }) }],
    }),
  );

  // Correct verifies need codes: issue a pool first, then verify each once.
  const pool = [];
  const poolSize = Math.max(2000, Math.min(50_000, seconds * 3000));
  for (let i = 0; i < poolSize; i += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, poolSize - i) }, async (_, j) => {
        const identifier = `v${tag}n${i + j}@example.com`;
        await json('POST', '/api/auth/otp/request', { identifier, purpose: 'REGISTER' });
        pool.push({ identifier, otp: await devCode(identifier, 'REGISTER') });
      }),
    );
  }
  let next = 0;
  rows.push(
    await cannon('POST /api/auth/otp/verify', '/api/auth/otp/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      amount: pool.length,
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ ...pool[next++ % pool.length], purpose: 'REGISTER' }) }) }],
    }),
  );

  const flows = await runFlows({ base, clients: flowClients, seconds, codeOf: devCode });
  rows.push({ benchmark: `sign-up + sign-in flow (${flowClients} clients)`, 'req/s': flows.requestsPerSecond, 'p50 ms': flows.p50, 'p99 ms': flows.p99, 'non-2xx': flows.errors, 'flows/s': flows.flowsPerSecond });

  console.log(`\nBackends: ${backends}; ${connections} connections, ${seconds} s per run; node ${process.version}; ${new Date().toISOString()}`);
  console.table(rows);
  console.log(`Server RSS after the runs: ${await rss()} MB`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
