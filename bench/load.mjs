// One load run against one URL: wrk (Debian's package) when it is installed, as the anchors were
// measured, else autocannon. A request may carry its own body: a unique identifier each time
// (`uniqueIdentifiers`), or one of a fixed set, each sent once (`bodies`: codes issued beforehand;
// should they run out before the time is up, the result says so, and its req/s is a lower bound). Returns req/s, p50/p99 in ms and the count of answers outside 2xx (errors included).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export const loadTool = spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';

/**
 * @param {{ url: string, method?: string, headers?: Record<string,string>, bodies?: string[],
 *   uniqueIdentifiers?: { prefix: string, purpose: string }, connections: number, seconds: number }} run
 */
export function load(run) {
  return loadTool === 'wrk' ? wrk(run) : cannon(run);
}

function cannon({ url, method = 'GET', headers = {}, bodies, uniqueIdentifiers, connections, seconds }) {
  let next = 0;
  const options = { url, method, headers, connections, duration: seconds };
  if (uniqueIdentifiers) {
    const { prefix, purpose } = uniqueIdentifiers;
    options.requests = [
      { setupRequest: (req) => ({ ...req, body: JSON.stringify({ identifier: `${prefix}n${next++}@example.com`, purpose }) }) },
    ];
  }
  if (bodies) {
    // Each once: the run ends when they do, or at its time.
    options.amount = bodies.length;
    delete options.duration;
    options.requests = [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }];
  }
  return new Promise((resolve, reject) =>
    autocannon(options, (error, result) => {
      if (error) return reject(error);
      resolve({
        rps: Math.round(result.requests.total / result.duration),
        requests: result.requests.total,
        p50: result.latency.p50,
        p99: result.latency.p99,
        failed: result.non2xx + result.errors + result.timeouts,
        ranOut: Boolean(bodies) && result.duration < seconds,
      });
    }),
  );
}

async function wrk({ url, method = 'GET', headers = {}, bodies, uniqueIdentifiers, connections, seconds }) {
  const dir = mkdtempSync(join(tmpdir(), 'wrk-'));
  try {
    // Globals, not locals: done() reads each thread's `failed` through thread:get().
    const lines = [
      `wrk.method = ${JSON.stringify(method)}`,
      ...Object.entries(headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`),
      'failed = 0',
      'response = function(status) if status >= 300 then failed = failed + 1 end end',
      'local threads = {}',
      'setup = function(thread) thread:set("id", #threads); table.insert(threads, thread) end',
      'done = function() local total, out = 0, 0; for _, t in ipairs(threads) do total = total + t:get("failed"); out = out + (t:get("ranout") or 0) end; io.write("FAILED " .. total .. " RANOUT " .. out .. "\\n") end',
    ];
    if (uniqueIdentifiers) {
      lines.push(
        'init = function() n = 0 end',
        'request = function()',
        '  n = n + 1',
        `  return wrk.format(nil, nil, nil, '{"identifier":"${uniqueIdentifiers.prefix}t' .. id .. 'n' .. n .. '@example.com","purpose":"${uniqueIdentifiers.purpose}"}')`,
        'end',
      );
    }
    if (bodies) {
      // Two threads: one sends the odd bodies, the other the even ones, each once; past the end
      // they repeat the last one (refused), and `ranout` says so.
      writeFileSync(join(dir, 'bodies.txt'), bodies.join('\n') + '\n');
      lines.push(
        'bodies = {}',
        `for line in io.lines(${JSON.stringify(join(dir, 'bodies.txt'))}) do bodies[#bodies + 1] = line end`,
        'ranout = 0',
        'init = function() index = id - 1 end',
        'request = function()',
        '  index = index + 2',
        '  if index > #bodies then ranout = 1 end',
        '  return wrk.format(nil, nil, nil, bodies[index] or bodies[#bodies])',
        'end',
      );
    }
    writeFileSync(join(dir, 'script.lua'), lines.join('\n'));
    const output = await new Promise((resolve, reject) => {
      const child = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', join(dir, 'script.lua'), url]);
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.stderr.on('data', (chunk) => (text += chunk));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}:\n${text}`))));
    });
    const ms = (label) => {
      const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
      if (!match) return NaN;
      const value = Number(match[1]);
      return +(match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value).toFixed(2);
    };
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
    const failed =
      Number(/FAILED (\d+)/.exec(output)?.[1] ?? 0) +
      (socketErrors
        ? socketErrors
            .slice(1)
            .map(Number)
            .reduce((a, b) => a + b, 0)
        : 0);
    const total = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
    return {
      // With a fixed set of bodies, only the answered ones count (past the end they are refused).
      rps: bodies ? Math.round((total - failed) / seconds) : Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0)),
      p50: ms('50'),
      p99: ms('99'),
      requests: total,
      failed,
      ranOut: Number(/RANOUT (\d+)/.exec(output)?.[1] ?? 0) > 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
