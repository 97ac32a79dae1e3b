import { CommandDeadlines } from './command-deadlines.js';

describe('CommandDeadlines', () => {
  const never = () => new Promise<never>(() => undefined);
  const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

  it('answers what the command answers, or its error, when it settles in time', async () => {
    const deadlines = new CommandDeadlines(200);
    await expect(deadlines.bound(after(5, 'OK'))).resolves.toBe('OK');
    await expect(deadlines.bound(Promise.reject(new Error('WRONGTYPE')))).rejects.toThrow('WRONGTYPE');
  });

  it('gives up on a command that does not answer within its time, and only on that one', async () => {
    const deadlines = new CommandDeadlines(50);
    const started = performance.now();
    const stuck = deadlines.bound(never()).catch((error: Error) => ({ error, afterMs: performance.now() - started }));
    const quick = deadlines.bound(after(10, 'fine'));
    const slowButInTime = deadlines.bound(after(30, 'also fine'));
    expect(await quick).toBe('fine');
    expect(await slowButInTime).toBe('also fine');
    const { error, afterMs } = (await stuck) as { error: Error; afterMs: number };
    expect(error.message).toBe('Redis command timed out after 50 ms');
    expect(afterMs).toBeGreaterThanOrEqual(49);
  });

  it('still bounds commands sent after a quiet spell (the sweep stops when nothing is under way, and starts again)', async () => {
    const deadlines = new CommandDeadlines(20);
    await deadlines.bound(after(1, 'first'));
    await after(50, null);
    await expect(deadlines.bound(never())).rejects.toThrow('timed out');
  });
});
