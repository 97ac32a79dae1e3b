import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { type AppConfig, ConfigError, backendsOf, loadConfig, otherServersBackends } from '#config';
import { RedisConnection } from '#redis';
import { CliModule } from './cli.module.js';
import { fail } from './cli-io.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  // Never quietly the wrong data: a server started from this DATA_DIR on other backends wins.
  const server = otherServersBackends(config);
  if (server) {
    process.stderr.write(
      `A server (pid ${server.pid}) is running on ${server.backends}; this command would use ${backendsOf(config)}. Run it with the server's DATABASE_URL and REDIS_URL, or stop the server.\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`Using ${backendsOf(config)}\n`);
  // Errors while opening the database or Redis reach fail() below instead of a logged stack.
  const app = await CommandFactory.createWithoutRunning(CliModule.register(config), { logger: false, abortOnError: false });
  // Redis connects in the background; give it a moment so a command does not race the connection.
  await app.get(RedisConnection, { strict: false })?.waitUntilReady(3000);
  try {
    await CommandFactory.runApplication(app);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  fail(error);
  process.exit(1);
});
