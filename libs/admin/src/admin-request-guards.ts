import type { NextFunction, Request, Response } from 'express';
import { DomainError, sendError } from '#common';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Bounds every body under /admin before AdminJS (and before sign-in): a body must declare its
 * length, and that length is at most `limitBytes` (BODY_LIMIT, as for the API). Node's parser
 * never hands on more than Content-Length bytes, so nothing larger is read or buffered.
 */
export function boundedBodies(limitBytes: number) {
  return function boundedBody(req: Request, res: Response, next: NextFunction): void {
    const declared = req.headers['content-length'];
    if (declared === undefined && req.headers['transfer-encoding'] === undefined) return next();
    const length = Number(declared);
    if (declared === undefined || !Number.isSafeInteger(length)) {
      return refuse(res, new DomainError('LENGTH_REQUIRED', 'A request body to the admin panel must declare its Content-Length.'));
    }
    if (length > limitBytes) {
      return refuse(res, new DomainError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes} bytes.`));
    }
    next();
  };
}

/**
 * Cross-site request forgery: AdminJS's UI calls its actions (block, revoke, rotate, delete…) with a
 * GET when they carry no data, so the verb alone cannot tell a forged request. Every call of the
 * panel's API, and every request that is not a read, must come from the panel's own pages: the
 * browser's Sec-Fetch-Site says so, or, in a browser too old to send it, an Origin naming this host.
 * A request with neither is no browser's (a forged one always carries one of them), and the
 * SameSite=Strict session cookie keeps an old browser's cross-site navigation signed out anyway.
 */
export function sameOriginOnly(req: Request, res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method) && !req.path.startsWith('/api/')) return next();
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  const fromPanel = site !== undefined ? site === 'same-origin' : origin === undefined || originHost(origin) === req.headers.host;
  if (fromPanel) return next();
  refuse(res, new DomainError('CROSS_SITE_REQUEST', 'Admin panel requests must come from the panel itself.'));
}

/**
 * What formidable may parse for AdminJS: fields only, within the body bound. The panel has no upload
 * field, so a file part fails the request before anything is written to disk.
 */
export function formidableOptions(limitBytes: number) {
  return {
    maxFields: 200,
    maxFieldsSize: limitBytes,
    maxFileSize: 0,
    onPart(this: { handlePart(part: unknown): void; _error(error: Error): void }, part: { filename?: string }) {
      if (part.filename !== undefined)
        return this._error(new DomainError('UNSUPPORTED_MEDIA_TYPE', 'The admin panel takes no file uploads.'));
      this.handlePart(part);
    },
  };
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

// The body was not read: close the connection rather than read it to find the next request.
function refuse(res: Response, error: DomainError): void {
  res.setHeader('connection', 'close');
  sendError(res, error);
}
