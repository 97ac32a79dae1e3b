import { KeyValueStore, type Count } from './key-value-store.js';
import { LuaScript } from './lua-script.js';
import type { RedisConnection } from './redis-connection.js';

const addScript = LuaScript.fromFile(new URL('./lua/kv-add.lua', import.meta.url));

/** The KeyValueStore on the service's Redis connection (its time bound, its 503, its cluster routing). */
export class RedisKeyValueStore extends KeyValueStore {
  readonly shared = true;

  constructor(private readonly redis: RedisConnection) {
    super();
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.run((client) => client.get(key))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number, options: { onlyIfAbsent?: boolean } = {}): Promise<boolean> {
    const answer = await this.redis.run((client) =>
      options.onlyIfAbsent ? client.set(key, value, { PX: ttlMs, NX: true }) : client.set(key, value, { PX: ttlMs }),
    );
    return answer === 'OK';
  }

  async delete(key: string): Promise<void> {
    await this.redis.run((client) => client.del(key));
  }

  async add(key: string, amount: number, windowMs: number): Promise<Count> {
    const [count, msLeft] = (await this.redis.evalScript(addScript, [key], [String(amount), String(windowMs)])) as [number, number];
    return { count, msLeft };
  }
}
