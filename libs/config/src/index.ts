export { AppConfig, ConfigError, loadConfig, type RedisTarget } from './app-config.js';
export { ConfigModule } from './config.module.js';
export { backendsOf, isProcessAlive, otherServersBackends, recordRunningServer } from './running-server.js';
