import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig, type AppConfig } from '#config';
import { DataDirInUseError, lockDataDir } from '#database';
import { KeyDecryptionError } from '#signing-keys';
import { AppModule } from './app.module.js';
import { answerUnknownRoutes, configureApp } from './configure-app.js';
import { enableGracefulShutdown } from './graceful-shutdown.js';

/** Validates the environment before anything opens a connection; prints the list, not a stack. */
function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

async function bootstrap(): Promise<void> {
  const config = configOrExit();
  // Refuse a data directory another process holds before Nest starts (and logs a stack for it).
  if (config.database.kind === 'pglite' && config.database.dataDir) lockDataDir(config.database.dataDir);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, { adminPanel: true, shareEmbeddedDatabase: true, rateLimits: true }), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  // Every Nest log line goes through pino (LoggingModule): JSON, with the request's id.
  app.useLogger(app.get(PinoLogger));
  configureApp(app);
  enableGracefulShutdown(app, { drainDelayMs: config.http.shutdownDrainDelayMs, graceMs: config.http.shutdownGraceMs });
  await app.init();
  answerUnknownRoutes(app);
  await app.listen(config.http.port, config.http.host);
  new Logger('Bootstrap').log(`Listening on http://${config.http.host}:${config.http.port} (Swagger UI at /docs; NODE_ENV=${config.env})`);
}

bootstrap().catch((error: unknown) => {
  // Start-up problems a person can fix get one clear line, not a stack trace.
  if (error instanceof DataDirInUseError || error instanceof KeyDecryptionError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
});
