import { Clock } from '#common';
import { otpStoreContract } from './otp-store.contract.js';
import { MemoryOtpStore } from './otp-store.memory.js';

class ManualClock extends Clock {
  private at = Date.parse('2026-01-01T00:00:00Z');
  now(): Date {
    return new Date(this.at);
  }
  advance(seconds: number): void {
    this.at += seconds * 1000;
  }
}

otpStoreContract('in-process', async () => {
  const clock = new ManualClock();
  const store = new MemoryOtpStore(clock);
  return { store, advance: async (seconds) => clock.advance(seconds), close: async () => store.close() };
});
