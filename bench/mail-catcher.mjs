// The benchmark's mailbox: an SMTP server on loopback that the service delivers its codes to, as it
// would to a real mail relay (same queue, same worker, same SMTP exchange), and an HTTP endpoint that
// answers the last code for `?identifier=&purpose=` (waiting briefly for the mail), for the flow
// driver. So the service is measured in production mode, delivery included, with no code it would
// not also send a real person.
import http from 'node:http';
import { SMTPServer } from 'smtp-server';

export async function startMailCatcher() {
  /** `${purpose}:${address}` → code; and who is waiting for one. */
  const codes = new Map();
  const waiting = new Map();
  let received = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => (raw += chunk));
      stream.on('end', () => {
        received++;
        // The text part has the code alone on a line; the subject names the purpose.
        const code = /^ {4}(\d{4,10})\r?$/m.exec(raw)?.[1];
        const purpose = /^Subject: .*sign-up/im.test(raw) ? 'REGISTER' : 'LOGIN';
        for (const { address } of session.envelope.rcptTo) {
          const key = `${purpose}:${address.toLowerCase()}`;
          if (code) codes.set(key, code);
          for (const resolve of waiting.get(key) ?? []) resolve(code);
          waiting.delete(key);
        }
        callback();
      });
    },
  });
  await new Promise((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const codeFor = (identifier, purpose, timeoutMs = 10_000) => {
    const key = `${purpose}:${identifier.toLowerCase()}`;
    if (codes.has(key)) {
      const code = codes.get(key);
      codes.delete(key);
      return Promise.resolve(code);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      waiting.set(key, [
        ...(waiting.get(key) ?? []),
        (code) => {
          clearTimeout(timer);
          codes.delete(key);
          resolve(code);
        },
      ]);
    });
  };
  const web = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const code = await codeFor(url.searchParams.get('identifier') ?? '', url.searchParams.get('purpose') ?? '');
    res.writeHead(code ? 200 : 404, { 'content-type': 'text/plain' }).end(code ?? '');
  });
  await new Promise((resolve) => web.listen(0, '127.0.0.1', resolve));
  return {
    smtpUrl: `smtp://127.0.0.1:${smtp.server.address().port}`,
    codeUrl: `http://127.0.0.1:${web.address().port}/code`,
    codeFor,
    received: () => received,
    /** Waits (up to `timeoutMs`) until `total` mails have arrived in all; answers how many are still missing. */
    async drain(total, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return Math.max(0, total - received);
    },
    async close() {
      await new Promise((resolve) => smtp.close(resolve));
      await new Promise((resolve) => web.close(resolve));
    },
  };
}
