// Server CPU per operation: the user + system time of every server-side process (the API and its
// HTTP workers, the delivery worker, Postgres and its backends, Redis; for Django, gunicorn's
// processes and the same Postgres and Redis) over a run, divided by the operations answered. It
// does not depend on the load generator, which shares this machine's cores and is not counted.
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100);

/** Every live process: its parent and its CPU so far (its own and its reaped children's), in ms. */
function processes() {
  const all = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command (which may hold spaces): state ppid … utime(14) stime cutime cstime.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    all.set(Number(name), { ppid: Number(fields[1]), ms: ticks * TICK_MS });
  }
  return all;
}

/** CPU ms so far of these processes and all their descendants (a backend that exited is in its parent's). */
export function treeCpuMs(rootPids) {
  const all = processes();
  const inTree = new Set(rootPids.filter((pid) => all.has(pid)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, { ppid }] of all)
      if (!inTree.has(pid) && inTree.has(ppid)) {
        inTree.add(pid);
        grew = true;
      }
  }
  let ms = 0;
  for (const pid of inTree) ms += all.get(pid).ms;
  return ms;
}

/** The oldest process of that name: Postgres's postmaster, the Redis server. */
export const oldest = (name) => Number(spawnSync('pgrep', ['-o', '-x', name]).stdout?.toString().trim()) || undefined;
