export { KeyValueStore, MemoryKeyValueStore, type Count } from './key-value-store.js';
export { LuaScript } from './lua-script.js';
export { RedisConnection, type RedisCommands } from './redis-connection.js';
export { RedisModule } from './redis.module.js';
