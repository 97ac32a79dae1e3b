import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import { freePort } from './cli.js';

const run = promisify(execFile);

export interface Shard {
  port: number;
  ranges: [number, number][];
}

/** True when `key` (or the hash tag in it) falls in one of the shard's slot ranges. */
export const inShard = (shard: Shard, key: string) =>
  shard.ranges.some(([from, to]) => calculateSlot(key) >= from && calculateSlot(key) <= to);

export interface ClusterNode {
  port: number;
  process: ChildProcess;
}

export interface RunningRedisCluster {
  /** REDIS_CLUSTER_NODES for the service: every node, as host:port. */
  nodes: string;
  /** The port of the master that currently owns `key`'s slot. */
  masterFor(key: string): Promise<number>;
  /** Each master's slot ranges, as the live nodes see them now. */
  shards(): Promise<Shard[]>;
  /** Kills a node as a crash would (SIGKILL: no goodbye to its peers). */
  kill(port: number): void;
  /** Resolves once another node owns `key`'s slot as master and the cluster is healthy again. */
  waitForNewMaster(key: string, oldPort: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

const redisCli = (port: number, ...args: string[]) =>
  run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });

/**
 * A real Redis Cluster from the machine's redis-server: 3 masters and 3 replicas on free loopback
 * ports, each in a directory of its own, with a short node timeout so a replica takes over a dead
 * master within about a second. Stop it in a `finally`/`afterAll`: the nodes are children of this
 * process and are also killed if it exits.
 */
export async function startRedisCluster(): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    for (const node of nodes) node.process.kill('SIGKILL');
    await Promise.all(
      nodes.map((node) =>
        node.process.exitCode === null && node.process.signalCode === null
          ? new Promise((resolve) => node.process.once('exit', resolve))
          : undefined,
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const killAll = () => nodes.forEach((node) => node.process.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '1000',
          // Any replica may take over, however long it has been cut off (the test kills at will).
          '--cluster-replica-validity-factor',
          '0',
          '--save',
          '',
          '--appendonly',
          'no',
          '--logfile',
          join(dir, `${port}.log`),
        ],
        { stdio: 'ignore' },
      );
      nodes.push({ port, process: child });
    }
    for (const node of nodes)
      await waitFor(async () => (await redisCli(node.port, 'ping')).stdout.trim() === 'PONG', 10_000, `node ${node.port} did not start`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8' },
    );
    await waitFor(() => clusterHealthy(nodes.map((node) => node.port)), 20_000, 'the cluster did not become healthy');
  } catch (error) {
    const logs = nodes.map((node) => tail(join(dir, `${node.port}.log`))).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }

  const alive = () => nodes.filter((node) => node.process.exitCode === null && node.process.signalCode === null);
  const shards = async () => {
    for (const node of alive()) {
      try {
        return parseShards((await redisCli(node.port, 'cluster', 'shards')).stdout);
      } catch {
        // try the next node
      }
    }
    throw new Error('no live node answers CLUSTER SHARDS');
  };
  const masterFor = async (key: string) => {
    const owner = (await shards()).find((shard) => inShard(shard, key));
    if (!owner) throw new Error(`no master owns the slot of ${key}`);
    return owner.port;
  };
  return {
    nodes: nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
    masterFor,
    shards,
    kill(port) {
      nodes.find((node) => node.port === port)?.process.kill('SIGKILL');
    },
    async waitForNewMaster(key, oldPort, timeoutMs) {
      let owner = oldPort;
      await waitFor(
        async () => (owner = await masterFor(key)) !== oldPort && (await clusterHealthy(alive().map((node) => node.port))),
        timeoutMs,
        `no replica took over from ${oldPort}`,
      );
      return owner;
    },
    async stop() {
      process.removeListener('exit', killAll);
      await stop();
    },
  };
}

/** Every node reports cluster_state:ok and every replica has finished its first sync. */
async function clusterHealthy(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const info = (await redisCli(port, 'cluster', 'info')).stdout;
    if (!info.includes('cluster_state:ok')) return false;
    const replication = (await redisCli(port, 'info', 'replication')).stdout;
    // A replica that never synced would not be elected when its master dies.
    if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
  }
  return true;
}

/**
 * Masters and their slot ranges from redis-cli's `CLUSTER SHARDS` output (one value per line:
 * "slots", its range bounds, "nodes", then each node's fields as key and value lines).
 */
function parseShards(output: string): Shard[] {
  const shards: Shard[] = [];
  for (const chunk of output.trim().split(/\n(?=slots\n)/)) {
    const lines = chunk.split('\n').map((line) => line.trim());
    const nodesAt = lines.indexOf('nodes');
    const bounds = lines.slice(1, nodesAt).map(Number);
    const ranges: [number, number][] = [];
    for (let i = 0; i + 1 < bounds.length; i += 2) ranges.push([bounds[i], bounds[i + 1]]);
    const fields = lines.slice(nodesAt + 1);
    for (let start = fields.indexOf('id'); start !== -1; start = fields.indexOf('id', start + 1)) {
      const end = fields.indexOf('id', start + 1);
      const node = fields.slice(start, end === -1 ? undefined : end);
      const value = (name: string) => node[node.indexOf(name) + 1];
      if (ranges.length && value('role') === 'master' && value('health') === 'online') shards.push({ port: Number(value('port')), ranges });
    }
  }
  return shards;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function tail(file: string): string {
  try {
    return `${file}:\n${readFileSync(file, 'utf8').slice(-1500)}`;
  } catch {
    return '';
  }
}
