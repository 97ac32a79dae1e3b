import { maskRecipientsIn } from './delivery-queue.js';

describe('maskRecipientsIn', () => {
  it('masks the addresses and numbers a provider echoes in a refusal, and keeps the rest of it', () => {
    expect(maskRecipientsIn('550 5.1.1 <jane.doe@example.com>: Recipient address rejected')).toBe(
      '550 5.1.1 <j***@example.com>: Recipient address rejected',
    );
    expect(maskRecipientsIn("The 'To' number +4915112345678 is not a valid phone number.")).toBe(
      "The 'To' number +49***78 is not a valid phone number.",
    );
    expect(maskRecipientsIn('no such number: +49 151 1234 5678')).toBe('no such number: +49***78');
    expect(maskRecipientsIn('451 4.7.1 Try again later')).toBe('451 4.7.1 Try again later');
  });
});
