import { parseDuration, table } from './cli-io.js';

describe('parseDuration', () => {
  it.each([
    ['900', 900],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'forever', '1w', '-5m', '0', '31d'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('table', () => {
  it('aligns columns under their headers', () => {
    expect(
      table([
        { name: 'janak', role: 'admin' },
        { name: 'x', role: 'user' },
      ]),
    ).toBe('name   role\njanak  admin\nx      user\n');
  });

  it('says so when there is nothing to list', () => {
    expect(table([])).toBe('(none)\n');
  });
});
