import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmtpConnections, type SmtpEnvelope } from '../libs/delivery/src/email/smtp-connections.js';

// The kept-open SMTP connections against a real SMTP server on loopback (the smtp-server package).
describe('SMTP connections', () => {
  const servers: SMTPServer[] = [];
  const pools: SmtpConnections[] = [];
  afterEach(async () => {
    for (const pool of pools.splice(0)) pool.close();
    for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function smtpServer(options: { auth?: { user: string; pass: string }; refuse?: RegExp } = {}) {
    const sockets: Socket[] = [];
    const received: { to: string[]; raw: string; user?: string }[] = [];
    let connections = 0;
    const server = new SMTPServer({
      authOptional: !options.auth,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onConnect(session, callback) {
        connections += 1;
        callback();
      },
      onAuth(credentials, _session, callback) {
        const { auth } = options;
        if (auth && credentials.username === auth.user && credentials.password === auth.pass) return callback(null, { user: auth.user });
        callback(new Error('535 Authentication failed'));
      },
      onRcptTo(address, _session, callback) {
        if (options.refuse?.test(address.address)) return callback(Object.assign(new Error('550 No such user'), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, user: session.user as string | undefined });
          callback();
        });
      },
    });
    server.server.on('connection', (socket: Socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const port = (server.server.address() as AddressInfo).port;
    return {
      received,
      connections: () => connections,
      /** Ends every open connection from the server's side, as an idle timeout of the server would. */
      dropAll: () => sockets.splice(0).forEach((socket) => socket.destroy()),
      pool: (auth?: { user: string; pass: string }) => {
        const pool = new SmtpConnections(
          { host: '127.0.0.1', port, connectionTimeout: 2000, greetingTimeout: 2000, socketTimeout: 2000 },
          auth,
        );
        pools.push(pool);
        return pool;
      },
    };
  }
  const mail = (to: string, body = 'hello'): [SmtpEnvelope, string] => [
    { from: 'otp@example.com', to: [to] },
    `Subject: test\r\n\r\n${body}\r\n`,
  ];

  it('sends one message after another over one connection, and opens more only for messages sent at once', async () => {
    const server = await smtpServer();
    const pool = server.pool();
    for (let i = 0; i < 5; i++) await pool.send(...mail(`one${i}@example.com`));
    expect(server.connections()).toBe(1);
    await Promise.all([0, 1, 2].map((i) => pool.send(...mail(`at-once${i}@example.com`))));
    expect(server.connections()).toBe(3);
    expect(server.received.map((m) => m.to[0]).sort()).toHaveLength(8);
    expect(server.received[0].raw).toContain('hello');
  });

  it('sends on a new connection when the server has dropped the kept one', async () => {
    const server = await smtpServer();
    const pool = server.pool();
    await pool.send(...mail('before@example.com'));
    server.dropAll();
    // Not noticed yet (no I/O between the drop and the send): the send finds the connection dead.
    await pool.send(...mail('after@example.com'));
    server.dropAll();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Noticed: the dropped connection is not handed out again.
    await pool.send(...mail('again@example.com'));
    expect(server.received.map((m) => m.to[0])).toEqual(['before@example.com', 'after@example.com', 'again@example.com']);
  });

  it('signs in when the server asks for it, and fails a wrong password', async () => {
    const server = await smtpServer({ auth: { user: 'otp', pass: 's3cret' } });
    await server.pool({ user: 'otp', pass: 's3cret' }).send(...mail('auth@example.com'));
    expect(server.received).toEqual([expect.objectContaining({ to: ['auth@example.com'], user: 'otp' })]);
    await expect(server.pool({ user: 'otp', pass: 'wrong' }).send(...mail('no@example.com'))).rejects.toMatchObject({ responseCode: 535 });
  });

  it('gives a refusal back with its SMTP code, and goes on sending', async () => {
    const server = await smtpServer({ refuse: /^refused@/ });
    const pool = server.pool();
    await expect(pool.send(...mail('refused@example.com'))).rejects.toMatchObject({ responseCode: 550 });
    await pool.send(...mail('fine@example.com'));
    expect(server.received.map((m) => m.to[0])).toEqual(['fine@example.com']);
  });

  it('fails at once when nothing listens', async () => {
    const pool = new SmtpConnections({ host: '127.0.0.1', port: 1, connectionTimeout: 1000 }, undefined);
    await expect(pool.send(...mail('x@example.com'))).rejects.toMatchObject({ code: 'ESOCKET' });
  });
});
