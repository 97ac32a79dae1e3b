// `npm run bench [-- --vs-django] [-- --smoke] [-- --memory]`: the side-by-side benchmark. A
// benchmark, not a test: it prints figures and asserts nothing. `--memory` runs only the service,
// with flows for BENCH_MEMORY_SECONDS (300), and prints each process's RSS every 30 s.
//
// It starts, one after another on this machine:
//   - the built service in production mode (NODE_ENV=production, logs at info, metrics on) on real
//     Postgres and Redis, delivering its codes by SMTP to the benchmark's own mailbox
//     (bench/mail-catcher.mjs), where the flow driver reads them;
//   - the bare-Node ceiling (../shared/anchors/ceiling: node:http + one Redis GET per request);
//   - with --vs-django, the Django reference of the seed API (../shared/anchors/django-seed/run.sh,
//     which installs its Debian packages when missing), with its fixed code;
// and drives each with the same flow driver (bench/flow.mjs, 16 clients) and the same load (wrk when
// installed, else autocannon; 32 connections), every benchmark in slices that alternate
// between the service and Django (the machine's speed moves from minute to minute; a change then
// falls on both alike), then prints one table per run with req/s,
// p50/p99, the server CPU per operation (bench/cpu.mjs: every server-side process, Postgres and Redis
// included, the load generator not; the service's otp/request until its mail has arrived), the
// socket writes per flow of each implementation's own processes (strace), the ratios to Django and
// to the ceiling, the service's RSS, its start-up time and the cost of its metrics on /me. `--smoke`
// is CI's: one short run, no Django, no strace.
//
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/otp_bench: DROPPED and
// recreated each run, so never point it at data you keep), BENCH_REDIS_URL (default
// redis://127.0.0.1:6379/7: flushed each run), BENCH_SECONDS (10), BENCH_RUNS (2),
// BENCH_CONNECTIONS (32), BENCH_FLOW_CLIENTS (16), BENCH_HTTP_WORKERS (1).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { oldest, treeCpuMs } from './cpu.mjs';
import { json, quantile, runFlows, signUp } from './flow.mjs';
import { load as loadOnly, loadTool } from './load.mjs';
import { startMailCatcher } from './mail-catcher.mjs';

const args = new Set(process.argv.slice(2));
const smoke = args.has('--smoke');
const memoryCurve = args.has('--memory');
const vsDjango = args.has('--vs-django') && !smoke;
const seconds = smoke ? 2 : Number(process.env.BENCH_SECONDS ?? 10);
const runs = smoke ? 1 : Number(process.env.BENCH_RUNS ?? 2);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const flowClients = Number(process.env.BENCH_FLOW_CLIENTS ?? 16);
// Its own, never DATABASE_URL / REDIS_URL: both are wiped at every run.
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/otp_bench';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
// The anchors live beside the repository (../shared/anchors); BENCH_ANCHORS can name them elsewhere.
const anchors = [process.env.BENCH_ANCHORS, resolve('../shared/anchors'), '/work/shared/anchors'].find(
  (dir) => dir && existsSync(join(dir, 'ceiling/server.mjs')),
);
if (!anchors) console.warn('No anchors found (../shared/anchors or BENCH_ANCHORS): the ceiling and Django are left out.');
if (args.has('--vs-django') && !anchors)
  throw new Error('--vs-django needs the anchors: set BENCH_ANCHORS to the folder holding django-seed/ and ceiling/');
const ports = { service: 18090, serviceMetrics: 18091, ceiling: 18200, django: 18100 };
// One API process by default, as the CPU-per-operation method measures (production settings,
// HTTP_WORKERS=1); BENCH_HTTP_WORKERS=2 for one per core.
const httpWorkers = Number(process.env.BENCH_HTTP_WORKERS ?? 1);
const tag = `${Date.now().toString(36)}${process.pid}`;
const secret = () => randomBytes(32).toString('base64');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(url, child, timeoutMs = 30_000, accept = (res) => res.ok) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    if (await fetch(url).then(accept, () => false)) return;
    await sleep(10);
  }
  throw new Error(`${url} did not answer in ${timeoutMs} ms`);
}
/** RSS in MB of a process and of each of its children (the HTTP workers). */
const rssOf = (pid) => {
  const mb = (args) =>
    spawnSync('ps', ['-o', 'rss=', ...args])
      .stdout.toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((kb) => Math.round(Number(kb) / 1024));
  const own = mb(['-p', String(pid)])[0];
  // With one HTTP worker the process serves itself: it is the worker, and there is no supervisor.
  return httpWorkers > 1 ? { supervisor: own, workers: mb(['--ppid', String(pid)]) } : { supervisor: 0, workers: [own] };
};

/** Fresh bench database and Redis database: migrations from zero, nothing from a previous run. */
async function resetBackends() {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  await redis.flushDb();
  await redis.quit();
}

/** The built service in production mode; resolves with its start-up time (spawn → first answer). */
async function startService(mailbox, extraEnv = {}) {
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    // As `npm run start:prod` and the Docker image set it.
    MALLOC_ARENA_MAX: '2',
    LOG_LEVEL: 'log',
    PORT: String(ports.service),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    KEYS_ENCRYPTION_KEY: keys.encryption,
    OTP_SECRET: keys.otp,
    ADMIN_SESSION_SECRET: keys.admin,
    METRICS_TOKEN: keys.metrics,
    DELIVERY_CHANNEL: 'live',
    SMTP_URL: mailbox.smtpUrl,
    MAIL_FROM: 'Bench <bench@example.com>',
    // One load generator is one client address: per-IP limits would stop it in its first second.
    RATE_LIMIT_OTP_REQUESTS_PER_IP: '100000000',
    RATE_LIMIT_OTP_VERIFIES_PER_IP: '100000000',
    RATE_LIMIT_SIGN_INS_PER_IP: '100000000',
    // Sending runs in a worker process of its own (`npm run worker`), as in a deployment.
    DELIVERY_WORKER: 'false',
    // One API process per core (node:cluster), their summed metrics on a port of their own.
    HTTP_WORKERS: String(httpWorkers),
    METRICS_PORT: String(ports.serviceMetrics),
    ...extraEnv,
  };
  const worker = spawn(process.execPath, ['dist/apps/worker/src/main.js'], {
    env: { ...env, LOG_LEVEL: 'warn', METRICS_ENABLED: 'true', METRICS_PORT: String(ports.serviceMetrics + 1) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // The worker is up first (its metrics port answers), so the API's start-up is timed on its own
  // rather than sharing this 2-core machine with the worker's start-up.
  await waitFor(`http://127.0.0.1:${ports.serviceMetrics + 1}/metrics`, worker, 30_000, () => true);
  const started = performance.now();
  // As `npm run start:prod` and the Docker image run it, with their heap limit.
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=512', '--max-semi-space-size=8', '--no-allocation-site-pretenuring', 'dist/server/main.js'],
    {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const base = `http://127.0.0.1:${ports.service}`;
  await waitFor(`${base}/health`, child);
  const startupMs = Math.round(performance.now() - started);
  return {
    child,
    base,
    // Whose CPU is the service's: the API (with its HTTP workers), the delivery worker, Postgres, Redis.
    serverPids: () => [child.pid, worker.exitCode === null ? worker.pid : undefined, oldest('postgres'), oldest('redis-server')],
    startupMs,
    // The service's own processes, for counting their socket writes: the API (and its HTTP workers) and the delivery worker.
    ownPids: () => [child.pid, worker.pid],
    stop: () => Promise.all([stop(child), stop(worker)]),
  };
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

function startCeiling() {
  const child = spawn(process.execPath, [join(anchors, 'ceiling/server.mjs')], {
    env: { ...process.env, PORT: String(ports.ceiling), REDIS: '1', REDIS_MODULE: resolve('node_modules/redis/dist/index.js') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, base: `http://127.0.0.1:${ports.ceiling}` };
}

function startDjango() {
  const started = spawnSync(join(anchors, 'django-seed/run.sh'), { env: { ...process.env, PORT: String(ports.django) }, encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`django-seed/run.sh failed: ${started.stderr}`);
  const pid = Number(started.stdout.trim().split('\n').pop());
  return {
    pid,
    base: `http://127.0.0.1:${ports.django}`,
    // gunicorn's master and its workers, and the same Postgres and Redis.
    serverPids: () => [pid, oldest('postgres'), oldest('redis-server')],
    stop: () => void spawnSync('kill', ['--', `-${pid}`]),
  };
}

/**
 * Runs `work(target, slice)` for each target in turn, `slices` times over (service, Django,
 * service, Django, …), so a change in the machine's speed, which moves from minute to minute here,
 * falls on both alike; answers per target each slice's result and server CPU in ms.
 */
async function interleaved(targets, slices, work) {
  const totals = targets.map(() => ({ cpuMs: [], results: [] }));
  for (let slice = 0; slice < slices; slice++)
    for (const [i, target] of targets.entries()) {
      const roots = target.serverPids().filter(Boolean);
      const before = treeCpuMs(roots);
      totals[i].results.push(await work(target, slice));
      totals[i].cpuMs.push(treeCpuMs(roots) - before);
    }
  return totals;
}

const slices = smoke ? 1 : 4;
const sliceSeconds = smoke ? seconds : seconds / 2;

/**
 * Server CPU µs per operation from slices: the lowest slice's (the method's figure: a slice the
 * machine slowed down, for either side, does not count against it) and over all of them.
 */
function cpuPerOp(cpuMs, operations) {
  const perSlice = cpuMs.map((ms, i) => (operations[i] > 0 ? (ms * 1000) / operations[i] : Infinity));
  const total = operations.reduce((a, b) => a + b, 0);
  return {
    cpuUsPerOp: total ? Math.round(Math.min(...perSlice)) : null,
    cpuUsPerOpMean: total ? Math.round((cpuMs.reduce((a, b) => a + b, 0) * 1000) / total) : null,
  };
}

/**
 * One row from a target's slices: req/s over all of them, the mean p50, the highest p99, and CPU
 * per request answered with a 2xx (a verify run that used up its codes repeats the last one, refused).
 */
function ofSlices({ results, cpuMs }) {
  const answered = results.map((r) => r.requests - r.failed);
  const count = answered.reduce((a, b) => a + b, 0);
  return {
    rps: Math.round(count / (slices * sliceSeconds)),
    p50: +(results.reduce((n, r) => n + r.p50, 0) / results.length).toFixed(2),
    p99: Math.max(...results.map((r) => r.p99)),
    failed: results.reduce((n, r) => n + r.failed, 0),
    ranOut: results.some((r) => r.ranOut),
    ...cpuPerOp(cpuMs, answered),
  };
}

/**
 * The runs against each seed-API implementation (the service, and Django when it is there): the
 * flows, /me, otp/verify and otp/request, each in slices that alternate between them.
 */
async function seedApiRuns(targets, run) {
  const rows = [];
  const row = (target, benchmark, r) => rows.push({ target: target.name, benchmark, ...r });
  // Unique per run too: Django's database is not reset between runs.
  const newEmail = (target, prefix, i) => `${prefix}${target.name}${tag}r${run}n${i}@example.com`;

  // The flows first, on fresh backends: the runs below leave work behind (a pool of 80,000 codes and
  // their mails) that would otherwise land in the flows' CPU.
  const flows = await interleaved(targets, slices, (target) =>
    runFlows({ base: target.base, clients: flowClients, seconds: sliceSeconds, codeOf: target.codeOf }),
  );
  for (const [i, target] of targets.entries()) {
    const { results, cpuMs } = flows[i];
    const count = results.reduce((n, r) => n + r.flows, 0);
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    row(target, `flows (${flowClients} clients)`, {
      rps: Math.round((count * 7) / (slices * sliceSeconds)),
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      failed: results.reduce((n, r) => n + r.errors, 0),
      'flows/s': +(count / (slices * sliceSeconds)).toFixed(1),
      ...cpuPerOp(
        cpuMs,
        results.map((r) => r.flows),
      ),
      'socket writes/flow': smoke ? '' : await socketWritesPerFlow(target.ownPids(), target.base, target.codeOf),
    });
  }

  // /me: one signed-in user each, then slices alternating between the targets like the flows.
  const accessOf = new Map();
  for (const target of targets) {
    const username = `m${target.name.slice(0, 1)}${tag}${run}`.slice(0, 30);
    accessOf.set(target, (await signUp(target.base, newEmail(target, 'me', 0), username, target.codeOf)).access);
  }
  const me = await interleaved(targets, slices, (target) =>
    loadOnly({
      url: `${target.base}/api/auth/me`,
      headers: { authorization: `Bearer ${accessOf.get(target)}` },
      connections,
      seconds: sliceSeconds,
    }),
  );
  for (const [i, target] of targets.entries()) row(target, 'GET /api/auth/me', ofSlices(me[i]));

  // Correct verifies need live codes: before each slice, a pool per target (requested, and every
  // mail in the mailbox, before the slice starts), then verify each once. Pools made slice by slice
  // stay well inside the codes' 5 minutes.
  const perSlice = smoke ? 300 : sliceSeconds * 5000;
  const codePool = async (target, slice) => {
    const pool = [];
    for (let i = 0; i < perSlice; i += 500) {
      const batch = Array.from({ length: Math.min(500, perSlice - i) }, (_, j) => newEmail(target, `v${slice}x`, i + j));
      await Promise.all(batch.map((identifier) => json(target.base, 'POST', '/api/auth/otp/request', { identifier, purpose: 'REGISTER' })));
      const codes = await Promise.all(batch.map((identifier) => target.codeOf(identifier, 'REGISTER')));
      batch.forEach((identifier, j) => pool.push(JSON.stringify({ identifier, otp: codes[j], purpose: 'REGISTER' })));
    }
    return pool;
  };
  const verifies = targets.map(() => ({ cpuMs: [], results: [] }));
  for (let slice = 0; slice < slices; slice++) {
    const pools = new Map();
    for (const target of targets) pools.set(target, await codePool(target, slice));
    const once = await interleaved(targets, 1, (target) =>
      loadOnly({
        url: `${target.base}/api/auth/otp/verify`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        bodies: pools.get(target),
        connections,
        seconds: sliceSeconds,
      }),
    );
    once.forEach(({ cpuMs, results }, i) => {
      verifies[i].cpuMs.push(...cpuMs);
      verifies[i].results.push(...results);
    });
  }
  for (const [i, target] of targets.entries()) row(target, 'POST /api/auth/otp/verify', ofSlices(verifies[i]));

  // The service's otp/request includes sending its mail: each of its slices ends when the mailbox
  // has every code it answered for (Django's sends nothing: its code is fixed).
  const requests = await interleaved(targets, slices, async (target, slice) => {
    const mailsBefore = target.deliveries?.received();
    const result = await loadOnly({
      url: `${target.base}/api/auth/otp/request`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      uniqueIdentifiers: { prefix: `r${target.name}${tag}r${run}s${slice}`, purpose: 'REGISTER' },
      connections,
      seconds: sliceSeconds,
    });
    if (target.deliveries) result.undelivered = await target.deliveries.drain(mailsBefore + result.requests - result.failed);
    return result;
  });
  for (const [i, target] of targets.entries()) {
    const combined = ofSlices(requests[i]);
    if (target.deliveries) combined.undelivered = requests[i].results.reduce((n, r) => n + r.undelivered, 0);
    row(target, 'POST /api/auth/otp/request', combined);
  }
  return rows;
}

/**
 * Socket writes per flow of the implementation's own processes (not Postgres's or Redis's): strace
 * counts every write, writev, sendto and sendmsg on a socket while 3 s of flows run.
 */
async function socketWritesPerFlow(pids, base, codeOf) {
  if (spawnSync('strace', ['-V']).error) return 'no strace';
  const descendants = (pid) => [
    pid,
    ...spawnSync('pgrep', ['-P', String(pid)])
      .stdout.toString()
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .flatMap(descendants),
  ];
  const traced = pids.flatMap(descendants);
  const out = join(tmpdir(), `bench-strace-${tag}.txt`);
  const tracer = spawn(
    'strace',
    ['-f', '-qq', '-yy', '-s', '0', '-e', 'trace=write,writev,sendto,sendmsg', '-o', out, ...traced.flatMap((pid) => ['-p', String(pid)])],
    {
      stdio: 'ignore',
    },
  );
  await sleep(1000); // attached to every thread by then
  const { flows } = await runFlows({ base, clients: flowClients, seconds: 3, codeOf });
  await sleep(200); // the last flows' mails
  tracer.kill('SIGINT');
  await new Promise((r) => tracer.once('exit', r));
  const writes = readFileSync(out, 'utf8')
    .split('\n')
    .filter((line) => /^\d+\s+(write|writev|sendto|sendmsg)\(\d+<(TCP|TCPv6|UDP|UDPv6|UNIX)/.test(line)).length;
  rmSync(out, { force: true });
  return flows ? +(writes / flows).toFixed(1) : '';
}

/** Flows without pause for minutes, RSS sampled after every 30 s of them: is there growth? */
async function memoryRun() {
  const total = Number(process.env.BENCH_MEMORY_SECONDS ?? 300);
  await resetBackends();
  const service = await startService(mailbox);
  const started = performance.now();
  const samples = [{ seconds: 0, flowsPerSecond: null, errors: 0, ...rssOf(service.child.pid) }];
  console.log(`memory: ${flowClients} clients of flows for ${total} s, ${httpWorkers} HTTP workers; RSS in MB`);
  console.log(`  0 s: supervisor ${samples[0].supervisor}, workers ${samples[0].workers.join(' + ')} (fresh)`);
  while (performance.now() - started < total * 1000) {
    const flows = await runFlows({ base: service.base, clients: flowClients, seconds: 30, codeOf: mailbox.codeFor });
    const sample = {
      seconds: Math.round((performance.now() - started) / 1000),
      flowsPerSecond: flows.flowsPerSecond,
      errors: flows.errors,
      ...rssOf(service.child.pid),
    };
    samples.push(sample);
    console.log(
      `  ${sample.seconds} s: supervisor ${sample.supervisor}, workers ${sample.workers.join(' + ')} (${sample.flowsPerSecond} flows/s, ${sample.errors} failed)`,
    );
  }
  await service.stop();
  mkdirSync('artifacts', { recursive: true });
  writeFileSync(
    'artifacts/bench-memory.json',
    JSON.stringify({ httpWorkers, date: new Date().toISOString(), clients: flowClients, samples }, null, 2),
  );
}

const keys = { encryption: secret(), otp: secret(), admin: secret(), metrics: secret() };
const results = [];
const mailbox = await startMailCatcher();
let django;
try {
  if (memoryCurve) {
    await memoryRun();
    process.exit(0);
  }
  if (vsDjango) django = startDjango();
  for (let run = 1; run <= runs; run++) {
    const rows = [];
    const extra = {};

    // The service: /me with metrics off first (the cost of metrics), then everything with them on.
    await resetBackends();
    let service = await startService(mailbox, { METRICS_ENABLED: 'false' });
    const { access } = await signUp(service.base, `nometrics${tag}r${run}@example.com`, `nm${tag}${run}`.slice(0, 30), mailbox.codeFor);
    const noMetrics = await loadOnly({
      url: `${service.base}/api/auth/me`,
      headers: { authorization: `Bearer ${access}` },
      connections,
      seconds,
    });
    await service.stop();

    // Start-up of one API process alone (HTTP_WORKERS=1; the schema is in place by now), beside the
    // figure for all the workers below.
    const single = await startService(mailbox, { HTTP_WORKERS: '1' });
    extra.startupSingleMs = single.startupMs;
    await single.stop();

    service = await startService(mailbox);
    extra.startupMs = service.startupMs;
    const targets = [
      {
        name: 'service',
        base: service.base,
        codeOf: (identifier, purpose) => mailbox.codeFor(identifier, purpose),
        serverPids: service.serverPids,
        ownPids: service.ownPids,
        deliveries: mailbox,
      },
      ...(django
        ? [{ name: 'django', base: django.base, codeOf: async () => '123456', serverPids: django.serverPids, ownPids: () => [django.pid] }]
        : []),
    ];
    const apiRows = await seedApiRuns(targets, run);
    extra.rssMb = rssOf(service.child.pid);
    // AdminJS loads on the first /admin request: its sign-in page and the components bundle (built
    // at build time, not at start), then the RSS again.
    extra.adminPanel = await Promise.all(
      ['/admin/login', '/admin/frontend/assets/components.bundle.js'].map((path) =>
        fetch(`${service.base}${path}`).then(
          (r) => r.status,
          () => 0,
        ),
      ),
    );
    extra.rssWithAdminMb = rssOf(service.child.pid);
    await service.stop();
    const withMetrics = apiRows.find((r) => r.target === 'service' && r.benchmark === 'GET /api/auth/me');
    extra.metricsCostOnMe = {
      off: noMetrics.rps,
      on: withMetrics.rps,
      costPercent: +((1 - withMetrics.rps / noMetrics.rps) * 100).toFixed(1),
      p99Off: noMetrics.p99,
      p99On: withMetrics.p99,
    };

    if (anchors) {
      const ceiling = startCeiling();
      await waitFor(`${ceiling.base}/`, ceiling.child);
      rows.push({
        target: 'ceiling',
        benchmark: 'GET / (node:http + Redis GET)',
        ...(await loadOnly({ url: `${ceiling.base}/`, connections, seconds })),
      });
      await stop(ceiling.child);
    }
    // The service's rows, then Django's, then the ceiling.
    rows.unshift(...apiRows.filter((r) => r.target === 'service'), ...apiRows.filter((r) => r.target === 'django'));

    // Ratios: each service row to the same Django row, and /me to the ceiling.
    const ceilingRps = rows.find((r) => r.target === 'ceiling')?.rps;
    for (const r of rows.filter((r) => r.target === 'service')) {
      const reference = rows.find((d) => d.target === 'django' && d.benchmark === r.benchmark);
      if (reference) r['× django'] = +((r['flows/s'] ?? r.rps) / (reference['flows/s'] ?? reference.rps)).toFixed(1);
      // Server CPU per operation as a share of Django's: below 1 costs less.
      if (reference?.cpuUsPerOp && r.cpuUsPerOp) r['cpu ÷ django'] = +(r.cpuUsPerOp / reference.cpuUsPerOp).toFixed(2);
      if (reference?.cpuUsPerOpMean && r.cpuUsPerOpMean) r['mean ÷ django'] = +(r.cpuUsPerOpMean / reference.cpuUsPerOpMean).toFixed(2);
      if (ceilingRps) r['× ceiling'] = +(r.rps / ceilingRps).toFixed(2);
    }
    console.log(
      `\nRun ${run} of ${runs}: ${new Date().toISOString()}, node ${process.version}, ${loadTool} ${connections} connections, ${seconds} s per endpoint`,
    );
    // A run that used up its codes before its time ("ran out") gives a lower bound: ≥ req/s.
    console.table(
      rows.map(({ target, benchmark, rps, p50, p99, failed, ranOut, requests: _requests, cpuUsPerOp, cpuUsPerOpMean, ...rest }) => ({
        target,
        benchmark,
        'req/s': ranOut ? `≥ ${rps}` : rps,
        'p50 ms': p50,
        'p99 ms': p99,
        failed,
        // Per request; per flow on the flows row (its 7 requests and its deliveries). The lowest
        // slice's, and over all slices.
        'server CPU µs/op': cpuUsPerOp ?? '',
        'mean µs/op': cpuUsPerOpMean ?? '',
        ...rest,
      })),
    );
    console.log(
      `service (${httpWorkers} HTTP workers): start-up to first answer ${extra.startupMs} ms (one process alone: ${extra.startupSingleMs} ms); RSS after the runs: supervisor ${extra.rssMb.supervisor} MB, workers ${extra.rssMb.workers.join(' + ')} MB; once the admin panel has loaded (HTTP ${extra.adminPanel.join(', ')}): ${extra.rssWithAdminMb.workers.join(' + ')} MB`,
    );
    console.log(
      `metrics on /me: ${extra.metricsCostOnMe.off} req/s off, ${extra.metricsCostOnMe.on} req/s on (${extra.metricsCostOnMe.costPercent} % cost; p99 ${extra.metricsCostOnMe.p99Off} → ${extra.metricsCostOnMe.p99On} ms)`,
    );
    results.push({ run, rows, ...extra });
  }
  mkdirSync('artifacts', { recursive: true });
  writeFileSync(
    'artifacts/bench.json',
    JSON.stringify(
      {
        httpWorkers,
        machine: `${process.platform} ${process.arch}, ${(await import('node:os')).cpus().length} cores`,
        date: new Date().toISOString(),
        tool: loadTool,
        connections,
        seconds,
        results,
      },
      null,
      2,
    ),
  );
} finally {
  django?.stop();
  await mailbox.close();
}
