import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import proxyAddr from 'proxy-addr';

interface RequestContextValue {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContextValue>();

/** What is known about the request being served, wherever the code runs (the audit log reads it). */
export const RequestContext = {
  current: (): RequestContextValue | undefined => storage.getStore(),
};

// Printable, short, no spaces or newlines: safe in a header, a log line and a database column.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** TRUST_PROXY read the way Express and Fastify read "trust proxy": may the hop at `address` set X-Forwarded-*? */
export function trustedProxy(trustProxy: boolean | number | string): (address: string, hop: number) => boolean {
  if (typeof trustProxy === 'boolean') return () => trustProxy;
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy;
  return proxyAddr.compile(trustProxy.split(',').map((entry) => entry.trim()));
}

/**
 * Fastify's genReqId: every request gets an id, echoed as X-Request-Id and carried by every log line
 * and audit row the request causes. A client's X-Request-Id is taken only when the request came
 * through a proxy TRUST_PROXY names (a client on its own could otherwise forge ids into the logs);
 * else it is new.
 */
export function requestIdGenerator(trusted: (address: string, hop: number) => boolean): (request: IncomingMessage) => string {
  return (request) => {
    const offered = request.headers['x-request-id'];
    return typeof offered === 'string' && ACCEPTABLE_ID.test(offered) && trusted(request.socket.remoteAddress ?? '', 0)
      ? offered
      : randomUUID();
  };
}

/** Echoes the request's id and makes it the context of everything the request runs. */
export function bindRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    // On the raw response, so the routes that answer on it themselves (admin panel, /metrics) carry it too.
    reply.raw.setHeader('x-request-id', request.id);
    storage.run({ requestId: request.id }, done);
  });
  // The body is read on the socket's events, outside that context: enter it again before the handler.
  fastify.addHook('preValidation', (request, _reply, done) => storage.run({ requestId: request.id }, done));
}
