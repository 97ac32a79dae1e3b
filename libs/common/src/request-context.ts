import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

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

/**
 * Gives every request an id, echoed as X-Request-Id and carried by every log line and audit row the
 * request causes. A client's X-Request-Id is taken only when the request came through a proxy
 * TRUST_PROXY names (a client on its own could otherwise forge ids into the logs); else it is new.
 */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const offered = req.headers['x-request-id'];
  const trusted = (req.app.get('trust proxy fn') as (address: string, hop: number) => boolean)(req.socket.remoteAddress ?? '', 0);
  const requestId = trusted && typeof offered === 'string' && ACCEPTABLE_ID.test(offered) ? offered : randomUUID();
  (req as Request & { id: string }).id = requestId;
  res.setHeader('x-request-id', requestId);
  storage.run({ requestId }, next);
}
