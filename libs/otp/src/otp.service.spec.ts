import { CaptchaService } from '#captcha';
import { Metrics } from '#metrics';
import type { AuditService } from '#audit';
import { SystemClock } from '#common';
import { loadConfig } from '#config';
import type { UsersService } from '#users';
import { MemoryKeyValueStore } from '#redis';
import { DeliveryChannel, type OtpMessage } from '#delivery';
import { OtpCrypto } from './otp-crypto.js';
import { MemoryOtpStore } from './otp-store.memory.js';
import { SmsBudget } from './sms-budget.js';
import { OtpService } from './otp.service.js';

class RecordingChannel extends DeliveryChannel {
  readonly sent: OtpMessage[] = [];
  async send(message: OtpMessage): Promise<void> {
    this.sent.push(message);
  }
}

describe('OtpService', () => {
  const config = loadConfig({ PGLITE_MEMORY: '1', JWT_SECRET: 'j'.repeat(32), OTP_SECRET: 's'.repeat(32) });
  const registered = new Set(['known@example.com']);
  const users = { existsByIdentifier: async ({ value }: { value: string }) => registered.has(value) } as unknown as UsersService;
  let store: MemoryOtpStore;
  let channel: RecordingChannel;
  let service: OtpService;
  const crypto = new OtpCrypto(config);

  beforeEach(() => {
    store = new MemoryOtpStore(new SystemClock());
    channel = new RecordingChannel();
    service = new OtpService(
      config,
      store,
      channel,
      crypto,
      users,
      { recordBestEffort: async () => undefined } as unknown as AuditService,
      new Metrics(),
      new CaptchaService(config, new Metrics()),
      new SmsBudget(new MemoryKeyValueStore(new SystemClock()), config, new SystemClock()),
    );
  });
  afterEach(() => store.close());

  it('sends a six-digit code to a new identifier asking to register', async () => {
    await service.requestCode('new@example.com', 'REGISTER');
    expect(channel.sent).toEqual([
      expect.objectContaining({ kind: 'code', code: expect.stringMatching(/^\d{6}$/), expiresInSeconds: 300 }),
    ]);
  });

  it('sends a notice without a code when the request could not lead anywhere', async () => {
    await service.requestCode('known@example.com', 'REGISTER');
    await service.requestCode('stranger@example.com', 'LOGIN');
    expect(channel.sent.map((m) => [m.kind, m.code])).toEqual([
      ['account-exists', undefined],
      ['no-account', undefined],
    ]);
  });

  it('binds the stored hash to purpose and identifier', () => {
    const hash = crypto.hashCode('LOGIN', 'a@example.com', '123456');
    expect(hash).not.toBe(crypto.hashCode('REGISTER', 'a@example.com', '123456'));
    expect(hash).not.toBe(crypto.hashCode('LOGIN', 'b@example.com', '123456'));
    expect(hash).not.toContain('123456');
  });

  it('draws codes across the whole range', () => {
    const codes = Array.from({ length: 2000 }, () => crypto.generateCode());
    expect(new Set(codes.map((c) => c[0])).size).toBe(10);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
  });

  it('turns a correct code into a verification token that register can spend once', async () => {
    await service.requestCode('new@example.com', 'REGISTER');
    const { verificationToken } = await service.verifyCode('new@example.com', 'REGISTER', channel.sent[0].code!);
    const identifier = service.normalize('new@example.com');
    await expect(service.consumeVerificationToken(verificationToken, 'LOGIN', identifier)).rejects.toMatchObject({
      code: 'VERIFICATION_TOKEN_INVALID',
    });
    const spent = await service.consumeVerificationToken(verificationToken, 'REGISTER', identifier);
    await expect(service.consumeVerificationToken(verificationToken, 'REGISTER', identifier)).rejects.toMatchObject({
      code: 'VERIFICATION_TOKEN_INVALID',
    });
    // Given back (the registration failed on a dependency): spendable once more.
    await spent.restore();
    await service.consumeVerificationToken(verificationToken, 'REGISTER', identifier);
    await expect(service.consumeVerificationToken(verificationToken, 'REGISTER', identifier)).rejects.toMatchObject({
      code: 'VERIFICATION_TOKEN_INVALID',
    });
  });
});
