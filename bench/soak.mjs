// `npm run soak`: minutes of mixed traffic against two API instances that share one Postgres and
// one Redis, with that Redis restarted once in the middle. Reports requests and answers by endpoint
// and status, what happened while Redis was down, and checks that every user registered during the
// soak exists exactly once. Not part of `npm test`: it is a report, and it takes minutes.
//
// It needs the local Postgres (the admin URL below; it creates and drops a scratch database) and the
// redis-server binary: it runs a Redis of its own on a spare port, so restarting it disturbs nobody.
// Options (env): SOAK_SECONDS (300), SOAK_CLIENTS (16), SOAK_ADMIN_DATABASE_URL
// (postgres://postgres@127.0.0.1:5432/postgres), SOAK_REDIS_PORT (6391), SOAK_PORTS (18701,18702).
// All traffic stays on the loopback interface; every loop is bounded in time.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const clients = Number(process.env.SOAK_CLIENTS ?? 16);
const adminUrl = process.env.SOAK_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisPort = Number(process.env.SOAK_REDIS_PORT ?? 6391);
const ports = (process.env.SOAK_PORTS ?? '18701,18702').split(',').map(Number);
const bases = ports.map((port) => `http://127.0.0.1:${port}`);
const tag = randomBytes(3).toString('hex');
const database = `otp_soak_${tag}`;
const workDir = mkdtempSync(join(tmpdir(), 'otp-soak-'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message) => console.log(`[soak +${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${message}`);
let startedAt = Date.now();

// --- the environment: a scratch database, a Redis of our own, two instances ---------------------
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).href;

let redis;
function startRedis() {
  // Append-only file on, as a production Redis would run: the restart keeps codes and sessions.
  redis = spawn(
    'redis-server',
    [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--dir',
      workDir,
    ],
    { stdio: 'ignore' },
  );
}
async function waitFor(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await sleep(100);
  }
}
const redisAnswers = async () => spawnSync('redis-cli', ['-p', String(redisPort), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG';
startRedis();
await waitFor(redisAnswers, 'redis-server');

const servers = ports.map((port) =>
  spawn(process.execPath, ['dist/server/main.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development', // the development channel: the soak reads codes from /api/dev/otp
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATA_DIR: workDir,
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      JWT_SECRET: `soak-jwt-secret-${tag}-0123456789abcdefghij`,
      OTP_SECRET: `soak-otp-secret-${tag}-0123456789abcdefghij`,
      ADMIN_SESSION_SECRET: `soak-admin-secret-${tag}-0123456789abcdef`,
      // One load generator is one client address; per-IP limits would stop it in a second.
      RATE_LIMIT_OTP_REQUESTS_PER_IP: '100000000',
      RATE_LIMIT_OTP_VERIFIES_PER_IP: '100000000',
      RATE_LIMIT_SIGN_INS_PER_IP: '100000000',
      OTP_RESEND_COOLDOWN_SECONDS: '0',
      OTP_HOURLY_LIMIT: '1000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  }),
);
let cleanedUp = false;
async function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const server of servers) server.kill('SIGTERM');
  await Promise.all(
    servers.map((server) => (server.exitCode === null ? new Promise((resolve) => server.once('exit', resolve)) : undefined)),
  );
  spawnSync('redis-cli', ['-p', String(redisPort), 'shutdown', 'nosave']);
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  await admin.end();
  rmSync(workDir, { recursive: true, force: true });
}
process.once('SIGINT', () => cleanUp().then(() => process.exit(130)));
for (const base of bases) await waitFor(() => fetch(`${base}/health/ready`).then((r) => r.ok), base);

// --- the traffic ----------------------------------------------------------------------------------
const counts = {}; // "endpoint": { "status or error": n }
const outage = { from: 0, to: 0, answers: {} };
const registered = new Map(); // identifier -> username, for each 201
const uncertain = new Set(); // registers whose answer never arrived: they may or may not exist
let total = 0;

function count(endpoint, outcome) {
  total += 1;
  (counts[endpoint] ??= {})[outcome] = (counts[endpoint][outcome] ?? 0) + 1;
  const now = Date.now();
  const duringOutage = outage.from && now >= outage.from && (!outage.to || now <= outage.to);
  if (duringOutage) outage.answers[outcome] = (outage.answers[outcome] ?? 0) + 1;
  // While Redis is up, no request may fail on the server's side or be cut off.
  else if (/^5\d\d|^network/.test(outcome)) unexpected[`${endpoint}: ${outcome}`] = (unexpected[`${endpoint}: ${outcome}`] ?? 0) + 1;
}
const unexpected = {};
const pick = () => bases[Math.floor(Math.random() * bases.length)];

async function call(endpoint, method, path, body, token) {
  try {
    const res = await fetch(pick() + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const data = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    count(endpoint, res.status >= 400 ? `${res.status} ${data.code}` : String(res.status));
    return { status: res.status, data };
  } catch (error) {
    count(endpoint, `network: ${error.cause?.code ?? error.name}`);
    return { status: 0, data: {} };
  }
}

async function codeFor(identifier, purpose) {
  const { status, data } = await call(
    'GET /api/dev/otp',
    'GET',
    `/api/dev/otp?identifier=${encodeURIComponent(identifier)}&purpose=${purpose}`,
  );
  return status === 200 ? data : undefined;
}

async function verified(identifier, purpose) {
  if ((await call('POST otp/request', 'POST', '/api/auth/otp/request', { identifier, purpose })).status !== 200) return undefined;
  const otp = await codeFor(identifier, purpose);
  if (!otp) return undefined;
  const { status, data } = await call('POST otp/verify', 'POST', '/api/auth/otp/verify', { identifier, otp, purpose });
  return status === 200 ? data.verification_token : undefined;
}

async function signUp() {
  const identifier = `soak.${tag}.${randomBytes(5).toString('hex')}@example.com`;
  const token = await verified(identifier, 'REGISTER');
  if (!token) return undefined;
  const username = `soak_${randomBytes(5).toString('hex')}`;
  const { status, data } = await call('POST register', 'POST', '/api/auth/register', { identifier, username, verification_token: token });
  if (status === 201) {
    registered.set(identifier, username);
    return { identifier, access: data.access, refresh: data.refresh };
  }
  if (status === 0) uncertain.add(identifier);
  return undefined;
}

async function client(deadline) {
  let session;
  while (Date.now() < deadline) {
    const roll = Math.random();
    if (!session || roll < 0.15) {
      session = (await signUp()) ?? session;
    } else if (roll < 0.3) {
      const token = await verified(session.identifier, 'LOGIN');
      if (token) {
        const { status, data } = await call('POST login', 'POST', '/api/auth/login', {
          identifier: session.identifier,
          verification_token: token,
        });
        if (status === 200) session = { ...session, access: data.access, refresh: data.refresh };
      }
    } else if (roll < 0.45) {
      const { status, data } = await call('POST token/refresh', 'POST', '/api/auth/token/refresh', { refresh: session.refresh });
      if (status === 200) session = { ...session, access: data.access, refresh: data.refresh };
    } else if (roll < 0.5) {
      await call('POST otp/verify (wrong)', 'POST', '/api/auth/otp/verify', {
        identifier: session.identifier,
        otp: '000000',
        purpose: 'LOGIN',
      });
    } else if (roll < 0.52) {
      await call('POST logout', 'POST', '/api/auth/logout', { refresh: session.refresh });
      session = undefined;
    } else {
      await call('GET me', 'GET', '/api/auth/me', undefined, session.access);
    }
  }
}

async function restartRedisMidway(atMs, downMs) {
  await sleep(atMs);
  log(`stopping Redis (shutdown, AOF kept) for ${downMs / 1000} s`);
  outage.from = Date.now();
  spawnSync('redis-cli', ['-p', String(redisPort), 'shutdown']);
  await new Promise((resolve) => (redis.exitCode === null ? redis.once('exit', resolve) : resolve()));
  await sleep(downMs);
  startRedis();
  await waitFor(redisAnswers, 'redis-server');
  log('Redis is back');
  // Recovered = both instances ready again without a restart.
  await Promise.all(
    bases.map((base) => waitFor(() => fetch(`${base}/health/ready`).then((r) => r.ok), `${base} readiness after Redis returned`)),
  );
  outage.to = Date.now();
  log(`both instances ready again ${((outage.to - outage.from - downMs) / 1000).toFixed(1)} s after Redis returned`);
}

try {
  startedAt = Date.now();
  const deadline = startedAt + seconds * 1000;
  log(`${clients} clients for ${seconds} s against ${bases.join(' and ')} (Postgres ${database}, Redis :${redisPort})`);
  const progress = setInterval(() => log(`${total} requests so far`), 30_000);
  await Promise.all([...Array.from({ length: clients }, () => client(deadline)), restartRedisMidway((seconds * 1000) / 2, 5_000)]);
  clearInterval(progress);
  const elapsed = (Date.now() - startedAt) / 1000;

  // --- the checks -------------------------------------------------------------------------------
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const identifiers = [...registered.keys()];
  const rows = (
    await db.query('SELECT email, username, count(*) OVER (PARTITION BY email) AS copies FROM users WHERE email = ANY($1)', [identifiers])
  ).rows;
  const byEmail = new Map(rows.map((row) => [row.email, row]));
  const missing = identifiers.filter((identifier) => !byEmail.has(identifier));
  const duplicated = rows.filter((row) => Number(row.copies) !== 1).map((row) => row.email);
  const wrongName = identifiers.filter(
    (identifier) => byEmail.get(identifier) && byEmail.get(identifier).username !== registered.get(identifier),
  );
  const uncertainRows = (
    await db.query('SELECT email, count(*)::int AS copies FROM users WHERE email = ANY($1) GROUP BY email', [[...uncertain]])
  ).rows;
  const allSoakUsers = (
    await db.query(`SELECT count(*)::int AS n, count(DISTINCT email)::int AS distinct_emails FROM users WHERE email LIKE $1`, [
      `soak.${tag}.%`,
    ])
  ).rows[0];
  await db.end();

  // During the outage only 503s with a dependency code are acceptable: no 500, no cut connection.
  const badDuringOutage = Object.entries(outage.answers).filter(
    ([outcome]) => /^5\d\d|^network/.test(outcome) && !/^503 (REDIS|DATABASE)_UNAVAILABLE/.test(outcome),
  );
  const report = {
    seconds: +elapsed.toFixed(1),
    clients,
    instances: bases,
    requests: total,
    requestsPerSecond: Math.round(total / elapsed),
    byEndpoint: counts,
    redisRestart: {
      downForSeconds: 5,
      answersFromStopToBothReady: outage.answers,
      secondsFromStopToBothReady: +((outage.to - outage.from) / 1000).toFixed(1),
    },
    users: {
      registered: identifiers.length,
      existExactlyOnce: identifiers.length - missing.length - duplicated.length,
      missing: missing.length,
      duplicated: duplicated.length,
      wrongUsername: wrongName.length,
      registersWithoutAnswer: uncertain.size,
      ofThoseInTheDatabase: uncertainRows.length,
      ofThoseDuplicated: uncertainRows.filter((row) => row.copies !== 1).length,
      soakUsersInDatabase: allSoakUsers.n,
      distinctEmails: allSoakUsers.distinct_emails,
    },
    failuresOutsideTheOutage: unexpected,
    badAnswersDuringTheOutage: Object.fromEntries(badDuringOutage),
  };
  mkdirSync('artifacts', { recursive: true });
  writeFileSync('artifacts/soak-report.json', JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report, null, 2));
  const ok =
    missing.length === 0 &&
    duplicated.length === 0 &&
    wrongName.length === 0 &&
    allSoakUsers.n === allSoakUsers.distinct_emails &&
    Object.keys(unexpected).length === 0 &&
    badDuringOutage.length === 0;
  console.log(
    ok
      ? 'SOAK OK: every registered user exists exactly once; only 503s with a dependency code, and only while Redis was down'
      : 'SOAK FAILED: see the report above',
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await cleanUp();
}
