import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { startAdminFixture, type AdminFixture } from './support/admin-fixture.js';
import { launchChromium } from './support/browser.js';
import { newEmail } from './support/factories.js';
import { startSmtpServer } from './support/smtp-server.js';
import { eventually } from './support/tcp-proxy.js';
import { backend } from './support/test-app.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url);

/** Every console error or warning the page logs from now on, with the page it was on. */
function consoleProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${page.url()}: ${message.text()}`);
  });
  return problems;
}

// A person at the admin panel in a real browser (support/browser.ts finds or brings Chromium).
describe(`admin panel in a browser (${backend.database} + ${backend.redis})`, () => {
  let f: AdminFixture;
  let browser: Browser;
  // Codes go out over SMTP to a server that refuses every recipient, so the dashboard has dead letters to show.
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  beforeAll(async () => {
    smtp = await startSmtpServer(() => Promise.reject(Object.assign(new Error('550 No such user here'), { responseCode: 550 })));
    f = await startAdminFixture(18551, {
      DELIVERY_CHANNEL: 'live',
      SMTP_URL: smtp.url,
      DELIVERY_DEGRADED_FAILURES: '1',
      DELIVERY_QUEUE_PREFIX: `{test-${randomBytes(4).toString('hex')}}`,
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await f?.stop();
    await smtp?.close();
  });

  async function signIn(page: Page, login: string, password: string): Promise<void> {
    await page.goto(`${f.base}/admin/login`);
    await page.locator('input[name="email"]').fill(login);
    await page.locator('input[name="password"]').fill(password);
    await page.getByRole('button', { name: 'Login' }).click();
    await page.waitForLoadState('networkidle');
  }

  it('does nothing for a page on another site or another origin that forges the panel’s actions', async () => {
    // Runs first: the next test blocks the member through the panel itself.
    const victim = f.member;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, f.admin.username, f.admin.password);
    expect(new URL(page.url()).pathname).toBe('/admin');

    // The attacker's page: an image, a form posted on load, a no-cors fetch, then a navigation.
    const block = `${f.base}/admin/api/resources/User/records/${victim.id}/block`;
    const rotate = `${f.base}/admin/api/resources/SigningKeys/actions/rotate`;
    const attack = `<!doctype html><body>
      <img src="${block}"><img src="${rotate}">
      <form id="f" method="POST" action="${block}" target="sink"><input name="x" value="1"></form><iframe name="sink"></iframe>
      <script>
        fetch(${JSON.stringify(block)}, { method: 'POST', mode: 'no-cors', credentials: 'include' });
        document.getElementById('f').submit();
        setTimeout(() => { location.href = ${JSON.stringify(block)}; }, 500);
      </script></body>`;
    const attacker: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attack));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const port = (attacker.address() as AddressInfo).port;
    try {
      // localhost is another site than 127.0.0.1; 127.0.0.1 on another port is the same site, another origin.
      for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`]) {
        const navigated = page.waitForURL((url) => url.href.startsWith(f.base));
        await page.goto(`${origin}/`);
        await navigated;
        await page.waitForLoadState('networkidle');
        expect(await page.content()).not.toContain('Blocked; their sessions are revoked.');
      }
    } finally {
      attacker.close();
    }
    const me = await fetch(`${f.base}/api/auth/me`, { headers: { authorization: `Bearer ${victim.access}` } });
    expect(me.status).toBe(200); // never blocked
    await context.close();
  });

  it('shows on a user’s page where they are signed in and what happened to the account, and ends a session there', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = consoleProblems(page);
    await signIn(page, f.admin.username, f.admin.password);
    await page.goto(`${f.base}/admin/resources/User/records/${f.member.id}/show`);
    await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
    const overview = page.getByTestId('user-overview');
    await overview.getByText(f.member.username).first().waitFor();
    await overview.getByText(f.member.identifier).waitFor();
    // The session from the seed flow's sign-up, and the sign-up itself, by the member.
    await page.getByTestId('user-session').first().waitFor();
    await expect(page.getByTestId('user-session').count()).resolves.toBe(1);
    const signedUp = page.getByTestId('user-event').filter({ hasText: 'user.signed_up' });
    await signedUp.getByText(f.member.username).waitFor();
    await page.screenshot({ path: new URL('admin-user-page.png', ARTIFACTS).pathname, fullPage: true });

    await page.getByTestId('user-session').getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('user-notice').getByText('Session ended.').waitFor();
    await page.getByTestId('user-sessions').getByText('No live session.').waitFor();
    // Now the account's history says who ended it.
    await page.getByTestId('user-event').filter({ hasText: 'sessions.revoked' }).getByText(f.admin.username).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('signs in, finds the user from the seed flow, blocks them (their token dies) and signs out', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(page, f.admin.username, f.admin.password);
    expect(new URL(page.url()).pathname).toBe('/admin');
    // The dashboard is a custom component from the build-time bundle: it renders real numbers.
    await page.getByTestId('stat-users').getByText(/^\d+$/).waitFor();
    await page.screenshot({ path: new URL('admin-dashboard.png', ARTIFACTS).pathname });

    await page.goto(`${f.base}/admin/resources/User?filters.username=${f.member.username}`);
    const row = page.locator('tr', { hasText: f.member.identifier });
    await row.waitFor();
    expect(await page.locator('h2').first().innerText()).toMatch(/^Users\d*$/); // the title, then the count badge
    await page.screenshot({ path: new URL('admin-users-list.png', ARTIFACTS).pathname, fullPage: true });
    // No hash value anywhere in the page; the hidden property is named in AdminJS's metadata only.
    expect(await page.content()).not.toContain('$argon2');
    expect(await page.locator('body').innerText()).not.toMatch(/password/i);

    // The row's actions open on hover; blocking asks for confirmation first.
    await row.locator('[data-testid="actions-dropdown"]').hover();
    await page.locator('[data-testid="action-block"]:visible').click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Blocked; their sessions are revoked.').waitFor();

    const me = await fetch(`${f.base}/api/auth/me`, { headers: { authorization: `Bearer ${f.member.access}` } });
    expect(me.status).toBe(401);

    await page.goto(`${f.base}/admin/logout`);
    await page.goto(`${f.base}/admin/resources/User`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.close();
  });

  it('adds a webhook endpoint from its form, shows the secret once, and lists the endpoint without it', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(page, f.admin.username, f.admin.password);
    await page.goto(`${f.base}/admin/resources/Webhooks/actions/add`);
    const url = `https://hooks.example.com/otp-auth/${Date.now()}`;
    await page.locator('input[name="url"]').fill(url);
    await page.locator('label[for="event-user.created"]').click();
    await page.locator('label[for="event-user.blocked"]').click();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.getByTestId('webhook-secret').innerText()).trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    await page.screenshot({ path: new URL('admin-webhook-added.png', ARTIFACTS).pathname });

    await page.goto(`${f.base}/admin/resources/Webhooks`);
    await page.locator('tr', { hasText: url }).waitFor();
    expect(await page.content()).not.toContain(secret);
    const listed = await fetch(`${f.base}/admin/api/resources/Webhooks/actions/list`, {
      headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
    });
    const record = ((await listed.json()) as { records: { params: Record<string, string> }[] }).records.find((r) => r.params.url === url)!;
    expect(record.params).toEqual(expect.objectContaining({ 'events.0': 'user.created', 'events.1': 'user.blocked', source: 'operator' }));
    expect(JSON.stringify(record)).not.toContain('whsec_');

    // A bad URL stays on the form with the reason.
    await page.goto(`${f.base}/admin/resources/Webhooks/actions/add`);
    await page.locator('input[name="url"]').fill('ftp://example.com/hook');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByTestId('webhook-error').getByText('A webhook URL must use').waitFor();
    await page.close();
  });

  it('charts the last week per hour on the dashboard, this hour’s sign-up included, with a clean console', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
    const problems = consoleProblems(page);
    await signIn(page, f.admin.username, f.admin.password);
    const signIns = page.getByTestId('chart-sign-ins');
    // recharts draws one SVG path per series: the lines are there, over 168 hours.
    await signIns.locator('.recharts-line-curve').first().waitFor({ state: 'attached' }); // a flat line has no height: not "visible"
    await expect(signIns.locator('.recharts-line-curve').count()).resolves.toBe(2);
    // The member of the fixture signed up this hour; the admin's failed sign-ins of other tests are charted too.
    expect(await page.getByTestId('chart-sign-ins-last-hour').innerText()).toMatch(/sign-ups [1-9]/);
    await expect(page.getByTestId('chart-failures').locator('.recharts-line-curve').count()).resolves.toBe(4);
    await expect(page.getByTestId('chart-deliveries').locator('.recharts-line-curve').count()).resolves.toBe(6);
    await page.screenshot({ path: new URL('admin-dashboard-charts.png', ARTIFACTS).pathname, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('titles every list by what it lists, and no page logs a console error or warning', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems = consoleProblems(page);
    await signIn(page, f.admin.username, f.admin.password);
    const lists: [resource: string, title: string, recordTitle: string][] = [
      ['User', 'Users', 'Account'],
      ['Sessions', 'Sessions', 'Session'],
      ['AuditLog', 'Audit log', 'Audit event'],
      ['SigningKeys', 'Signing keys', 'Signing key'],
      ['Webhooks', 'Webhook endpoints', 'Webhook endpoint'],
      ['WebhookDeliveries', 'Webhook deliveries', 'Webhook delivery'],
    ];
    let recordsSeen = 0;
    for (const [resource, title, recordTitle] of lists) {
      await page.goto(`${f.base}/admin/resources/${resource}`);
      await page.locator('h2', { hasText: title }).first().waitFor();
      // The title, then the count badge when there are rows.
      expect(await page.locator('h2').first().innerText()).toMatch(new RegExp(`^${title}\\d*$`));
      const firstRecord = page.locator('tbody tr').first();
      if (await firstRecord.count()) {
        await page.goto(`${f.base}/admin/resources/${resource}/records/${await firstRecord.getAttribute('data-id')}/show`);
        await page.locator('h2', { hasText: recordTitle }).first().waitFor();
        recordsSeen += 1;
      }
    }
    expect(recordsSeen).toBeGreaterThanOrEqual(4); // users, sessions, audit events and signing keys exist
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows on the dashboard that delivery is failing, with the dead letter and why', async () => {
    const identifier = newEmail();
    const requested = await fetch(`${f.base}/api/auth/otp/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier, purpose: 'LOGIN' }),
    });
    expect(requested.status).toBe(200);
    await eventually(async () => smtp.attempts.size === 1);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await signIn(page, f.admin.username, f.admin.password);
    await page.getByTestId('delivery-status').getByText('degraded').waitFor();
    const masked = `${identifier[0]}***${identifier.slice(identifier.indexOf('@'))}`;
    const row = page.getByTestId('dead-letters').locator('tr', { hasText: masked });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/LOGIN \(otp_[0-9a-f]{32}\)[\s\S]*SMTP 550/);
    expect(await row.innerText()).not.toContain('no-account');
    expect(await page.getByTestId('delivery-deadLetteredLast15m').innerText()).toContain('1');
    // The deliveries chart counts it in the hour under way.
    expect(await page.getByTestId('chart-deliveries-last-hour').innerText()).toMatch(/email given up [1-9]/);
    expect(await page.content()).not.toContain(identifier);
    await page.screenshot({ path: new URL('admin-dashboard-delivery.png', ARTIFACTS).pathname, fullPage: true });
    await page.close();
  });

  it('keeps a non-admin out, with the same message as a wrong password', async () => {
    const page = await browser.newPage();
    await signIn(page, f.member.username, f.member.password);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    const refusedMember = await page.locator('form').innerText();
    await signIn(page, f.admin.username, 'definitely-wrong-password');
    expect(await page.locator('form').innerText()).toBe(refusedMember);
    await page.close();
  });
});
