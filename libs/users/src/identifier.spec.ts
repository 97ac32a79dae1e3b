import { DomainError } from '#common';
import { normalizeIdentifier } from './identifier.js';

describe('normalizeIdentifier', () => {
  it('trims and lower-cases emails', () => {
    expect(normalizeIdentifier('  Test@Example.COM ')).toEqual({ kind: 'email', value: 'test@example.com' });
  });

  it('turns phone numbers into E.164, whatever the spacing', () => {
    expect(normalizeIdentifier('+44 7911 123456')).toEqual({ kind: 'phone', value: '+447911123456' });
    expect(normalizeIdentifier('+1 (415) 555-0123')).toEqual({ kind: 'phone', value: '+14155550123' });
  });

  it('uses the default country only when one is configured', () => {
    expect(normalizeIdentifier('07911 123456', 'GB')).toEqual({ kind: 'phone', value: '+447911123456' });
    expect(() => normalizeIdentifier('07911 123456')).toThrow(DomainError);
  });

  it.each(['', 'plainaddress', 'a@b', 'a@@example.com', '"x"@[127.0.0.1]', '+1 555', '12', '+99 123456789', 'Bob <bob@example.com>'])(
    'refuses %j with IDENTIFIER_INVALID',
    (raw) => {
      expect(() => normalizeIdentifier(raw)).toThrow(expect.objectContaining({ code: 'IDENTIFIER_INVALID' }));
    },
  );
});
