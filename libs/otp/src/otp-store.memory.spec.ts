import { ManualClock } from '#common';
import { otpStoreContract } from './otp-store.contract.js';
import { MemoryOtpStore } from './otp-store.memory.js';

otpStoreContract('in-process', async () => {
  const clock = new ManualClock();
  const store = new MemoryOtpStore(clock);
  return { store, advance: async (seconds) => clock.advance(seconds * 1000), close: async () => store.close() };
});
