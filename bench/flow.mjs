/** One request to a seed-API implementation; its JSON answer, or an error for anything not 2xx. */
export async function json(base, method, path, body, token) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (res.status >= 300) throw new Error(`${method} ${base}${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/** Sign-up as the seed does it (request, verify, register); the new user's id and access token. */
export async function signUp(base, identifier, username, codeOf) {
  await json(base, 'POST', '/api/auth/otp/request', { identifier, purpose: 'REGISTER' });
  const { verification_token } = await json(base, 'POST', '/api/auth/otp/verify', {
    identifier,
    otp: await codeOf(identifier, 'REGISTER'),
    purpose: 'REGISTER',
  });
  const session = await json(base, 'POST', '/api/auth/register', { identifier, username, verification_token });
  return { id: session.user?.id, access: session.access ?? session.tokens?.access };
}

/** The `q` quantile of ascending `sorted` values, rounded; null for none. */
export const quantile = (sorted, q) => (sorted.length ? Math.round(sorted[Math.floor(q * (sorted.length - 1))]) : null);

// Complete flows of the seed (request, verify, register, request, verify, login, me) from
// `clients` concurrent clients for `seconds`; codes come from `codeOf(identifier, purpose)`.
export async function runFlows({ base, clients, seconds, codeOf }) {
  const tag = `${Date.now().toString(36)}${process.pid}`;
  const call = (method, path, body, token) => json(base, method, path, body, token);
  let flows = 0;
  let errors = 0;
  const latencies = [];
  const end = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        const identifier = `f${tag}w${w}n${i}@example.com`;
        const t0 = performance.now();
        try {
          await signUp(base, identifier, `u${tag}w${w}n${i}`.slice(0, 30), codeOf);
          await call('POST', '/api/auth/otp/request', { identifier, purpose: 'LOGIN' });
          const v = await call('POST', '/api/auth/otp/verify', { identifier, otp: await codeOf(identifier, 'LOGIN'), purpose: 'LOGIN' });
          const session = await call('POST', '/api/auth/login', { identifier, verification_token: v.verification_token });
          await call('GET', '/api/auth/me', null, session.access);
          flows++;
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    flows,
    flowsPerSecond: +(flows / elapsed).toFixed(1),
    requestsPerSecond: Math.round((flows * 7) / elapsed),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    errors,
    /** Every flow's duration in ms, sorted. */
    latencies,
  };
}
