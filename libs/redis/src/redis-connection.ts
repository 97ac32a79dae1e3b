import { Logger } from '@nestjs/common';
import { caching, type Cache } from 'cache-manager';
import { redisClusterInsStore, redisInsStore } from 'cache-manager-redis-yet';
import { createClient, createCluster, ErrorReply, type RedisClientType, type RedisClusterType } from 'redis';
import { DependencyUnavailableError, throttled } from '#common';
import type { RedisTarget } from '#config';
import { CommandDeadlines } from './command-deadlines.js';
import type { LuaScript } from './lua-script.js';

/**
 * The keyed commands the service uses. A cluster client has the same ones (it routes each by its
 * first key), so callers write one version for both.
 */
export type RedisCommands = Pick<RedisClientType, 'get' | 'set' | 'del' | 'decr' | 'expire' | 'pExpire' | 'hGetAll' | 'multi'>;

const CONNECT_TIMEOUT_MS = 2000;
/** After a cluster node failed, the topology is read again at most this often until it is healed. */
const REDISCOVER_INTERVAL_MS = 250;

/**
 * The one Redis connection of a process: one Redis, or a Redis Cluster. Every command is bounded in
 * time and any failure becomes DependencyUnavailableError (→ 503): with the offline queue off, a
 * command sent while Redis is down fails at once instead of waiting for a reconnect.
 *
 * One Redis: its client reconnects by itself. A cluster: node-redis 4 learns a new topology only
 * from MOVED replies, which a dead master never sends, so after a failover the dead master's slots
 * would fail until a restart. Instead, when a command fails for any reason other than a Redis error
 * reply, a fresh cluster client is built from the configured nodes and swapped in once it has
 * connected to every master: that succeeds as soon as a replica has taken over.
 */
export class RedisConnection {
  private readonly logger = new Logger('Redis');
  // A down Redis produces an error per reconnect attempt; one line every 10 s is enough.
  private readonly logError = throttled(10_000, (error: Error) => this.logger.warn(`Redis unavailable: ${error.message}`));
  private current: RedisClientType | RedisClusterType | undefined;
  /** cache-manager over the same client (the admin panel's sessions). */
  private currentCache: Cache | undefined;
  private discovery: Promise<void> | undefined;
  private lastDiscoveryAt = 0;
  private closed = false;
  private readonly deadlines: CommandDeadlines;

  private constructor(
    private readonly target: RedisTarget,
    commandTimeoutMs: number,
  ) {
    this.deadlines = new CommandDeadlines(commandTimeoutMs);
  }

  /**
   * Start-up does not wait for a single Redis: the service answers 503 until it is reachable. A
   * cluster is connected once here (failing fast when its nodes refuse), since its topology must be
   * read before any command can be routed.
   */
  static async connect(target: RedisTarget, commandTimeoutMs: number): Promise<RedisConnection> {
    const connection = new RedisConnection(target, commandTimeoutMs);
    if ('url' in target) await connection.connectSingle(target.url);
    else await connection.rediscover();
    return connection;
  }

  get isCluster(): boolean {
    return 'clusterNodes' in this.target;
  }

  get isReady(): boolean {
    if (this.closed || !this.current) return false;
    return 'isReady' in this.current ? this.current.isReady : this.current.isOpen;
  }

  /** cache-manager over this connection (redis-yet's store), with the same time bound and 503 as `run`. */
  withCache<T>(work: (cache: Cache) => Promise<T>): Promise<T> {
    return this.guarded(() => work(this.currentCache!));
  }

  /** Resolves once connected, or false after `timeoutMs` (for short-lived processes such as the CLI). */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isReady && Date.now() < deadline) {
      if (this.isCluster) void this.rediscoverSoon();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.isReady;
  }

  /** Runs one command (or a transaction) with the time bound and the error mapping. */
  run<T>(command: (client: RedisCommands) => Promise<T>): Promise<T> {
    return this.guarded((client) => command(client as RedisCommands));
  }

  /**
   * EVALSHA, falling back to EVAL the first time a server has not seen the script. Sent as raw
   * commands: node-redis 4's cluster client routes its evalSha/eval helpers to a random node (it
   * reads the first key from the wrong argument), so the first key is given explicitly here.
   */
  evalScript(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    return this.guarded(async (client) => {
      const send = (command: string[]) => ('masters' in client ? client.sendCommand(keys[0], false, command) : client.sendCommand(command));
      const tail = [String(keys.length), ...keys, ...args];
      try {
        return await send(['EVALSHA', script.sha1, ...tail]);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return send(['EVAL', script.source, ...tail]);
      }
    });
  }

  private async guarded<T>(work: (client: RedisClientType | RedisClusterType) => Promise<T>): Promise<T> {
    const client = this.current;
    if (!client || !this.isReady) {
      if (this.isCluster) void this.rediscoverSoon();
      throw new DependencyUnavailableError('redis');
    }
    try {
      return await this.deadlines.bound(work(client));
    } catch (error) {
      if (this.isCluster && !isCommandError(error)) void this.rediscoverSoon();
      throw new DependencyUnavailableError('redis', error);
    }
  }

  /** One Redis answers PING; a cluster is reachable only if every master is. */
  async ping(): Promise<void> {
    const client = this.current;
    if (client && 'masters' in client) {
      const cluster = client;
      await this.run(() => Promise.all(cluster.masters.map(async (master) => (await cluster.nodeClient(master)).ping())));
    } else {
      await this.run(() => (client as RedisClientType).ping());
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.discovery;
    await closeClient(this.current);
  }

  private async connectSingle(url: string): Promise<void> {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
    }) as RedisClientType;
    this.current = client;
    this.currentCache = await caching(redisInsStore(client));
    // Without a listener node-redis's 'error' events would crash the process.
    client.on('error', (error: Error) => this.logError(error));
    client.on('ready', () => this.logger.log('Redis connection ready'));
    client.connect().catch((error: Error) => this.logError(error));
  }

  /** Reads the cluster's topology again, unless that is already under way or was just tried. */
  private rediscoverSoon(): Promise<void> {
    if (this.discovery || this.closed || Date.now() - this.lastDiscoveryAt < REDISCOVER_INTERVAL_MS)
      return this.discovery ?? Promise.resolve();
    return this.rediscover();
  }

  private rediscover(): Promise<void> {
    this.lastDiscoveryAt = Date.now();
    this.discovery = this.connectCluster().finally(() => (this.discovery = undefined));
    return this.discovery;
  }

  private async connectCluster(): Promise<void> {
    const { clusterNodes } = this.target as { clusterNodes: string[] };
    const first = new URL(clusterNodes[0]);
    const cluster = createCluster({
      rootNodes: clusterNodes.map((url) => ({ url })),
      defaults: {
        username: decodeURIComponent(first.username) || undefined,
        password: decodeURIComponent(first.password) || undefined,
        disableOfflineQueue: true,
        // A node that drops is not reconnected to (it may be a dead master): the next command that
        // fails triggers a rediscovery instead, which also connects to whoever replaced it.
        socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false, tls: first.protocol === 'rediss:' },
      },
    }) as RedisClusterType;
    cluster.on('error', (error: Error) => this.logError(error));
    try {
      await cluster.connect();
    } catch (error) {
      this.logError(error as Error);
      await closeClient(cluster);
      return;
    }
    if (this.closed) return closeClient(cluster);
    const previous = this.current;
    this.current = cluster;
    this.currentCache = await caching(redisClusterInsStore(cluster, { rootNodes: [] }));
    this.logger.log(
      `Redis Cluster ${previous ? 'topology refreshed' : 'connection ready'}: ${cluster.masters.map((m) => m.address).join(', ')}`,
    );
    await closeClient(previous);
  }
}

/** A reply from Redis about the command itself (a wrong type, a script error), not about reaching it. */
function isCommandError(error: unknown): boolean {
  return error instanceof ErrorReply && !/^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING)/.test(error.message);
}

async function closeClient(client: RedisClientType | RedisClusterType | undefined): Promise<void> {
  // A cluster that failed to connect may still hold connections to some nodes: always release them.
  if (client && 'masters' in client) return client.disconnect().catch(() => undefined);
  if (!client?.isOpen) return;
  // QUIT waits for an answer a reconnecting client would never get.
  if (client.isReady) await client.quit().catch(() => client.disconnect());
  else await client.disconnect().catch(() => undefined);
}
