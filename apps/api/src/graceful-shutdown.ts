import type { Server, ServerResponse } from 'node:http';
import { Logger, type INestApplication } from '@nestjs/common';
import { ChurnSet } from '#common';
import { ShutdownState } from '#health';

export interface ShutdownTiming {
  /** How long to keep accepting after readiness turns 503, for a load balancer to notice. */
  drainDelayMs: number;
  /** How long requests in flight get before their connections are cut. */
  graceMs: number;
}

/**
 * SIGTERM or SIGINT, as a rolling restart sends them: readiness fails at once, then (after the drain
 * delay) the listener closes, idle keep-alive connections are closed, responses still being worked
 * on go out with `Connection: close`, and only when they are done (or the grace period is over) are
 * the pool and Redis closed. Nest's own shutdown hooks would close the modules first and the
 * listener last, failing the requests in flight.
 */
export function enableGracefulShutdown(app: INestApplication, timing: ShutdownTiming): void {
  const logger = new Logger('Shutdown');
  const server = app.getHttpServer() as Server;
  const inFlight = new ChurnSet<ServerResponse>();
  let closing = false;

  server.on('request', (_request, response: ServerResponse) => {
    if (closing) response.setHeader('connection', 'close');
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });

  const shutdown = async (signal: NodeJS.Signals) => {
    app.get(ShutdownState).markDraining();
    logger.log(
      `${signal}: readiness now fails; ${timing.drainDelayMs ? `accepting for ${timing.drainDelayMs} ms more, then ` : ''}draining ${inFlight.size} request(s)`,
    );
    if (timing.drainDelayMs) await new Promise((resolve) => setTimeout(resolve, timing.drainDelayMs));

    closing = true;
    for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
    const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = setTimeout(() => {
      logger.warn(`${inFlight.size} request(s) still running after ${timing.graceMs} ms; closing their connections`);
      server.closeAllConnections();
    }, timing.graceMs);
    await listenerClosed;
    clearTimeout(deadline);

    await app.close(); // closes the Postgres pool and Redis (onApplicationShutdown)
    logger.log('stopped');
    process.exit(0);
  };

  let started = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (started) return; // a second signal while draining changes nothing; SIGKILL is the hard stop
      started = true;
      shutdown(signal).catch((error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      });
    });
  }
}
