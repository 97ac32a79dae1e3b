/** Calls `fn` at most once per `intervalMs`, dropping the calls between: for errors that repeat (a down Redis reports each reconnect). */
export function throttled<A extends unknown[]>(intervalMs: number, fn: (...args: A) => void): (...args: A) => void {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    fn(...args);
  };
}
