import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '#config';
import { DataDirInUseError, lockDataDir } from '#database';
import { KeyDecryptionError } from '#signing-keys';
import { AppModule } from './app.module.js';
import { configureApp, createHttpAdapter } from './configure-app.js';
import { enableGracefulShutdown } from './graceful-shutdown.js';

/** One API process: the whole application on PORT (alone, or as one of HTTP_WORKERS). */
export async function serve(config: AppConfig, options: { worker: boolean }): Promise<void> {
  // Refuse a data directory another process holds before Nest starts (and logs a stack for it).
  if (config.database.kind === 'pglite' && config.database.dataDir) lockDataDir(config.database.dataDir);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, { adminPanel: true, shareEmbeddedDatabase: true, rateLimits: true, clusterWorker: options.worker }), createHttpAdapter(config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  // Every Nest log line goes through pino (LoggingModule): JSON, with the request's id.
  app.useLogger(app.get(PinoLogger));
  configureApp(app);
  enableGracefulShutdown(app, { drainDelayMs: config.http.shutdownDrainDelayMs, graceMs: config.http.shutdownGraceMs });
  await app.init();
  await app.listen(config.http.port, config.http.host);
  new Logger('Bootstrap').log(`Listening on http://${config.http.host}:${config.http.port} (Swagger UI at /docs; NODE_ENV=${config.env})`);
}

