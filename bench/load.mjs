// One load run against one URL: wrk (Debian's package) when it is installed, as the anchors were
// measured, else autocannon. Each request may carry its own body (`bodies(i)`), so identifiers stay
// unique. Returns req/s, p50/p99 in ms and the count of answers outside 2xx (errors included).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export const loadTool = spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';

/**
 * @param {{ url: string, method?: string, headers?: Record<string,string>, bodies?: string[],
 *   connections: number, seconds: number }} run  With `bodies`, each is sent once at most, in order
 *   (wrk: per thread from its own share); the run ends early when they run out.
 */
export function load(run) {
  return loadTool === 'wrk' ? wrk(run) : cannon(run);
}

function cannon({ url, method = 'GET', headers = {}, bodies, connections, seconds }) {
  let next = 0;
  const options = { url, method, headers, connections, duration: seconds };
  if (bodies) {
    options.amount = bodies.length;
    delete options.duration;
    options.requests = [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }];
  }
  return new Promise((resolve, reject) =>
    autocannon(options, (error, result) => {
      if (error) return reject(error);
      resolve({ rps: Math.round(result.requests.total / result.duration), p50: result.latency.p50, p99: result.latency.p99, failed: result.non2xx + result.errors + result.timeouts });
    }),
  );
}

async function wrk({ url, method = 'GET', headers = {}, bodies, connections, seconds }) {
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
      'done = function() local total = 0; for _, t in ipairs(threads) do total = total + t:get("failed") end; io.write("FAILED " .. total .. "\\n") end',
    ];
    if (bodies) {
      // Two threads: one sends the odd bodies, the other the even ones, each once; then they stop.
      writeFileSync(join(dir, 'bodies.txt'), bodies.join('\n') + '\n');
      lines.push(
        'bodies = {}',
        `for line in io.lines(${JSON.stringify(join(dir, 'bodies.txt'))}) do bodies[#bodies + 1] = line end`,
        'init = function() index = id - 1 end',
        'request = function()',
        '  index = index + 2',
        '  if index > #bodies then wrk.thread:stop() end',
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
    return {
      rps: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0)),
      p50: ms('50'),
      p99: ms('99'),
      failed: Number(/FAILED (\d+)/.exec(output)?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
