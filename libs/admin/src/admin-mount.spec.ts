import type { RequestHandler } from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Logger } from '@nestjs/common';
import { adminApp } from './admin-app.js';
import { mountAdminPanel } from './admin-mount.js';

describe('the admin panel mount', () => {
  beforeAll(() => Logger.overrideLogger(false));

  let server: FastifyInstance | undefined;
  afterEach(() => server?.close());

  /** A Fastify server like the API's (a JSON route and a hook of its own) with the panel at /admin. */
  const serve = async (loadRouter: () => Promise<RequestHandler>) => {
    server = Fastify();
    server.addHook('onRequest', (_request, reply, done) => {
      reply.raw.setHeader('x-api-hook', 'ran');
      done();
    });
    server.post('/api/thing', async (request) => ({ api: request.body }));
    mountAdminPanel(server, async () => adminApp(() => false, 16_384, loadRouter));
    const base = await server.listen({ port: 0, host: '127.0.0.1' });
    return (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
  };

  it('loads the panel on its first request only, once for requests that arrive together, after the API hooks', async () => {
    let loads = 0;
    const call = await serve(async () => {
      loads++;
      return (req, res) => void res.json({ panel: req.url, apiHookRan: res.getHeader('x-api-hook') === 'ran' });
    });
    expect(loads).toBe(0);
    const answers = await Promise.all([call('/admin/login'), call('/admin/resources')]);
    expect(await Promise.all(answers.map(async (a) => [a.status, await a.json()]))).toEqual([
      [200, { panel: '/login', apiHookRan: true }],
      [200, { panel: '/resources', apiHookRan: true }],
    ]);
    expect((await call('/admin')).status).toBe(200);
    expect(loads).toBe(1);
  });

  it('hands the panel the body unread, whatever its type, while the API still parses its JSON', async () => {
    const call = await serve(async () => (req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => void res.json({ type: req.headers['content-type'], body }));
    });
    const form = await call('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40b.co&password=x',
    });
    expect(await form.json()).toEqual({ type: 'application/x-www-form-urlencoded', body: 'email=a%40b.co&password=x' });
    const json = await call('/admin/api/resources/User/actions/new', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(await json.json()).toEqual({ type: 'application/json', body: '{"a":' });
    const api = await call('/api/thing', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await api.json()).toEqual({ api: { a: 1 } });
  });

  it('answers 503 ADMIN_PANEL_UNAVAILABLE when loading fails, and tries again on the next request', async () => {
    let attempts = 0;
    const call = await serve(async () => {
      if (++attempts === 1) throw new Error('cannot load');
      return (_req, res) => void res.send('panel');
    });
    const failed = await call('/admin/login');
    expect([failed.status, ((await failed.json()) as { code: string }).code, failed.headers.get('retry-after')]).toEqual([
      503,
      'ADMIN_PANEL_UNAVAILABLE',
      '1',
    ]);
    const retried = await call('/admin/login');
    expect([retried.status, await retried.text(), attempts]).toEqual([200, 'panel', 2]);
  });

  it("answers 503 when the panel's app itself fails to load, and loads it again on the next request", async () => {
    server = Fastify();
    let attempts = 0;
    mountAdminPanel(server, async () => {
      if (++attempts === 1) throw new Error('cannot import');
      return (_request, response) => void response.end('panel');
    });
    const base = await server.listen({ port: 0, host: '127.0.0.1' });
    const failed = await fetch(`${base}/admin`);
    expect([failed.status, ((await failed.json()) as { code: string }).code]).toEqual([503, 'ADMIN_PANEL_UNAVAILABLE']);
    const retried = await fetch(`${base}/admin/login`);
    expect([retried.status, await retried.text(), attempts]).toEqual([200, 'panel', 2]);
  });

  it("gives what the panel throws or leaves unanswered the API's error shape", async () => {
    const call = await serve(async () => (req, _res, next) => {
      if (req.url === '/boom') next(Object.assign(new Error('There are no resources with given id: Nope'), { name: 'Error' }));
      else next();
    });
    const missing = await call('/admin/boom');
    expect([missing.status, ((await missing.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    const unrouted = await call('/admin/nothing-here');
    expect([unrouted.status, ((await unrouted.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
  });

  it('sends the admin content security policy, which allows the inline scripts AdminJS needs', async () => {
    const call = await serve(async () => (_req, res) => void res.send('panel'));
    expect((await call('/admin/login')).headers.get('content-security-policy')).toContain("script-src 'self' 'unsafe-inline'");
  });

  it('leaves other paths alone and never loads the panel for them', async () => {
    let loads = 0;
    const call = await serve(async () => {
      loads++;
      return (_req, res) => void res.send('panel');
    });
    expect((await call('/administrator')).status).toBe(404);
    expect(
      await (await call('/api/thing', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json(),
    ).toEqual({ api: {} });
    expect(loads).toBe(0);
  });

  it('refuses a body over the limit or of undeclared length before the panel loads', async () => {
    let loads = 0;
    const call = await serve(async () => {
      loads++;
      return (_req, res) => void res.send('panel');
    });
    const big = await call('/admin/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(16_385) });
    expect([big.status, ((await big.json()) as { code: string }).code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const stream = new ReadableStream({ start: (controller) => (controller.enqueue(new TextEncoder().encode('{}')), controller.close()) });
    const chunked = await call('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect([chunked.status, ((await chunked.json()) as { code: string }).code]).toEqual([411, 'LENGTH_REQUIRED']);
    expect(loads).toBe(0);
    expect(
      (await call('/admin/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(16_384) })).status,
    ).toBe(200);
  });

  it("lets through only the panel's own calls to its API and its forms, by Sec-Fetch-Site or Origin", async () => {
    const call = await serve(async () => (_req, res) => void res.send('panel'));
    const status = async (path: string, method: string, headers: Record<string, string>) => (await call(path, { method, headers })).status;
    const host = (await call('/admin/login')).url.replace(/\/admin\/login$/, '');
    // Reads of pages are free: a link from anywhere may open the panel.
    expect(await status('/admin/resources/User', 'GET', { 'sec-fetch-site': 'cross-site' })).toBe(200);
    for (const path of ['/admin/api/resources/User/records/1/block', '/admin/login']) {
      for (const method of ['GET', 'POST']) {
        if (path === '/admin/login' && method === 'GET') continue;
        const row = (headers: Record<string, string>) => status(path, method, headers);
        expect([path, method, await row({ 'sec-fetch-site': 'same-origin' })]).toEqual([path, method, 200]);
        expect([path, method, await row({ origin: host })]).toEqual([path, method, 200]);
        expect([path, method, await row({})]).toEqual([path, method, 200]); // no browser's request
        const forgeries: Record<string, string>[] = [
          { 'sec-fetch-site': 'cross-site' },
          { 'sec-fetch-site': 'same-site' },
          { 'sec-fetch-site': 'none' },
          { origin: 'https://evil.example' },
          { origin: 'null' },
        ];
        for (const forged of forgeries) {
          expect([path, method, forged, await row(forged)]).toEqual([path, method, forged, 403]);
        }
      }
    }
  });
});
