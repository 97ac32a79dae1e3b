import 'reflect-metadata';
import cluster from 'node:cluster';
import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccountsService } from '#accounts';
import type { Logger as PinoBaseLogger } from 'pino';
import { ROOT_LOGGER } from '#common';
import { type AppConfig, backendsOf, recordRunningServer } from '#config';
import { lockDataDir } from '#database';
import { AppModule } from './app.module.js';
import { configureApp, createHttpAdapter } from './configure-app.js';
import { enableGracefulShutdown } from './graceful-shutdown.js';

/** One API process: the whole application on PORT (alone, or as one of HTTP_WORKERS). */
export async function serve(config: AppConfig, options: { worker: boolean }): Promise<void> {
  // A taken port is found before anything opens (the database, a log of Nest's own).
  if (!options.worker) await assertPortFree(config.http.host, config.http.port);
  // Refuse a data directory another process holds before Nest starts (and logs a stack for it).
  const releaseDataDir = config.database.kind === 'pglite' && config.database.dataDir ? lockDataDir(config.database.dataDir) : undefined;
  try {
    await start(config, options);
  } catch (error) {
    // A start that fails leaves nothing behind: no lock on the data directory, no open database.
    releaseDataDir?.();
    throw error;
  }
}

function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

async function start(config: AppConfig, options: { worker: boolean }): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, { adminPanel: true, shareEmbeddedDatabase: true, clusterWorker: options.worker }),
    createHttpAdapter(config),
    {
      bodyParser: false,
      bufferLogs: true,
      // Not flushed when the start fails: main.ts says what went wrong in one line, not in Nest's
      // own format with a stack.
      autoFlushLogs: false,
      abortOnError: false,
    },
  );
  // Every Nest log line goes through pino (LoggingModule): JSON, with the request's id.
  app.useLogger(app.get(PinoLogger));
  app.flushLogs();
  configureApp(app);
  enableGracefulShutdown(app, { drainDelayMs: config.http.shutdownDrainDelayMs, graceMs: config.http.shutdownGraceMs });
  await app.init();
  const accounts = app.get(AccountsService, { strict: false });
  const log = new Logger('Bootstrap');
  if (config.admin.bootstrap && (await accounts.bootstrapAdmin(config.admin.bootstrap))) {
    log.log(`Created the first admin, ${config.admin.bootstrap.username}, from ADMIN_BOOTSTRAP_USERNAME (sign in at /admin)`);
  }
  try {
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  // One process of several says it once.
  if (options.worker && cluster.worker?.id !== 1) return app;
  if (!config.isProduction) recordRunningServer(config);
  for (const line of startupSummary(config)) log.log(line);
  if (!(await accounts.adminExists())) {
    log.warn(
      'No admin yet: create one with `npx otp-auth create-admin <username> --email <email>` (or set ADMIN_BOOTSTRAP_USERNAME, _EMAIL and _PASSWORD)',
    );
  }
  // Out now rather than with the next 4 KB of lines: whoever started the server is waiting for these.
  app.get<PinoBaseLogger>(ROOT_LOGGER).flush();
  return app;
}

/** Where things are and what they run on, the last lines of a start (no secret, no password). */
function startupSummary(config: AppConfig): string[] {
  const host = ['0.0.0.0', '::', ''].includes(config.http.host) ? 'localhost' : config.http.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
  const delivery = config.delivery.channel === 'dev' ? 'development channel (codes in this log and at /api/dev/otp)' : 'live (SMTP/SMS)';
  return [
    `Ready (NODE_ENV=${config.env}): API ${base}/api · Swagger UI ${base}/docs · admin panel ${base}/admin`,
    `Using ${backendsOf(config)}; delivery: ${delivery}`,
  ];
}
