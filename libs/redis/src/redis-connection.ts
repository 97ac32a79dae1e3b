import { Logger } from '@nestjs/common';
import { caching, type Cache } from 'cache-manager';
import { redisInsStore, type RedisStore } from 'cache-manager-redis-yet';
import { createClient, type RedisClientType } from 'redis';
import { DependencyUnavailableError, throttled, withTimeout } from '#common';
import type { LuaScript } from './lua-script.js';

/**
 * The one Redis connection of a process. Every command is bounded in time and any failure becomes
 * DependencyUnavailableError (→ 503): with the offline queue off, a command sent while Redis is down
 * fails at once instead of waiting for a reconnect, and the client keeps reconnecting by itself.
 */
export class RedisConnection {
  private readonly logger = new Logger('Redis');
  // A down Redis produces an error per reconnect attempt; one line every 10 s is enough.
  private readonly logError = throttled(10_000, (error: Error) => this.logger.warn(`Redis unavailable: ${error.message}`));

  private constructor(
    readonly client: RedisClientType,
    /** cache-manager over the same client, for short-lived caches. */
    readonly cache: Cache<RedisStore>,
    private readonly commandTimeoutMs: number,
  ) {}

  static async connect(url: string, commandTimeoutMs: number): Promise<RedisConnection> {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
    }) as RedisClientType;
    const cache = await caching(redisInsStore(client));
    const connection = new RedisConnection(client, cache, commandTimeoutMs);
    // Without a listener node-redis's 'error' events would crash the process.
    client.on('error', (error: Error) => connection.logError(error));
    client.on('ready', () => connection.logger.log('Redis connection ready'));
    // Start-up does not wait for Redis: the service answers 503 until it is reachable.
    client.connect().catch((error: Error) => connection.logError(error));
    return connection;
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  /** Resolves once connected, or false after `timeoutMs` (for short-lived processes such as the CLI). */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.client.isReady && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    return this.client.isReady;
  }

  /** Runs one command (or a pipeline) with the time bound and the error mapping. */
  async run<T>(command: (client: RedisClientType) => Promise<T>): Promise<T> {
    if (!this.client.isReady) throw new DependencyUnavailableError('redis');
    try {
      return await withTimeout(command(this.client), this.commandTimeoutMs, `Redis command timed out after ${this.commandTimeoutMs} ms`);
    } catch (error) {
      throw new DependencyUnavailableError('redis', error);
    }
  }

  /** EVALSHA, falling back to EVAL the first time a server has not seen the script. */
  evalScript(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    return this.run(async (client) => {
      try {
        return await client.evalSha(script.sha1, { keys, arguments: args });
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return client.eval(script.source, { keys, arguments: args });
      }
    });
  }

  async ping(): Promise<void> {
    await this.run((client) => client.ping());
  }

  async close(): Promise<void> {
    if (!this.client.isOpen) return;
    // QUIT waits for an answer a reconnecting client would never get.
    if (this.client.isReady) await this.client.quit().catch(() => this.client.disconnect());
    else await this.client.disconnect().catch(() => undefined);
  }
}
