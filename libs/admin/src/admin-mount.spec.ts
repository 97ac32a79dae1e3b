import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { Logger } from '@nestjs/common';
import { mountAdminPanel } from './admin-mount.js';

describe('mountAdminPanel', () => {
  beforeAll(() => Logger.overrideLogger(false));

  const appWith = (loadRouter: () => Promise<RequestHandler>) => {
    const app = express();
    // Registered before the panel, as the app's own middleware is: the panel must still run first.
    app.use((_req, res, next) => {
      res.set('x-app-middleware', 'ran');
      next();
    });
    mountAdminPanel(app, loadRouter);
    return app;
  };

  it('loads the panel on its first request only, once for requests that arrive together, ahead of the app middleware', async () => {
    let loads = 0;
    const app = appWith(async () => {
      loads++;
      return (req, res) => void res.json({ panel: req.url, middlewareRanFirst: res.get('x-app-middleware') === 'ran' });
    });
    expect(loads).toBe(0);
    const answers = await Promise.all([request(app).get('/admin/login'), request(app).get('/admin/resources')]);
    expect(answers.map((a) => [a.status, a.body])).toEqual([
      [200, { panel: '/login', middlewareRanFirst: false }],
      [200, { panel: '/resources', middlewareRanFirst: false }],
    ]);
    await request(app).get('/admin').expect(200);
    expect(loads).toBe(1);
  });

  it('answers 503 ADMIN_PANEL_UNAVAILABLE when loading fails, and tries again on the next request', async () => {
    let attempts = 0;
    const app = appWith(async () => {
      if (++attempts === 1) throw new Error('cannot load');
      return (_req, res) => void res.send('panel');
    });
    const failed = await request(app).get('/admin/login');
    expect([failed.status, failed.body.code, failed.headers['retry-after']]).toEqual([503, 'ADMIN_PANEL_UNAVAILABLE', '1']);
    const retried = await request(app).get('/admin/login');
    expect([retried.status, retried.text, attempts]).toEqual([200, 'panel', 2]);
  });

  it('leaves other paths alone and never loads the panel for them', async () => {
    let loads = 0;
    const app = appWith(async () => {
      loads++;
      return (_req, res) => void res.send('panel');
    });
    app.get('/api/thing', (_req, res) => void res.send('api'));
    expect((await request(app).get('/api/thing')).text).toBe('api');
    expect(loads).toBe(0);
  });
});
