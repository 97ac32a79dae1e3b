import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { ConfigError, loadConfig } from '#config';
import { WorkerModule } from './worker.module.js';

/**
 * `npm run worker`: sends the codes queued in Redis, for API instances started with
 * DELIVERY_WORKER=false (or beside them, for more throughput). Same environment as the API.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const { channel, queue } = config.delivery;
  if (channel !== 'live' || queue.kind !== 'redis') {
    console.error(
      'The delivery worker sends from the Redis queue: set DELIVERY_CHANNEL=live and REDIS_URL or REDIS_CLUSTER_NODES (with SMTP_URL and/or SMS_PROVIDER).',
    );
    process.exit(1);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(PinoLogger));
  const log = new Logger('Worker');
  log.log(`Sending from queue ${queue.prefix}:messages, ${queue.concurrency} at a time`);

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.log(`${signal}: finishing the messages being sent, then stopping`);
      // Closing the worker waits for the messages under way; the rest stay queued for another worker.
      app
        .close()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          log.error(`shutdown failed: ${String(error)}`);
          process.exit(1);
        });
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
