/**
 * The library graph as designed (docs/architecture.md, *Architecture*), checked by `npm run lint`
 * (part of `npm test`). Libraries reach each other through `#name` (their src/index.ts) only.
 */
const lib = (names) => `^libs/(${names.join('|')})/`;

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'No library (or file) depends on itself through others.', from: {}, to: { circular: true } },
    { name: 'libs-never-import-apps', severity: 'error', from: { path: '^libs/' }, to: { path: '^apps/' } },
    {
      name: 'through-the-index',
      severity: 'error',
      comment:
        "Another library is reached through its index (#name), never a file inside it. The one exception: the HTTP workers' supervisor loads metrics-http.ts alone, and with it two files of common, not all of #common.",
      from: { path: '^libs/([^/]+)/', pathNot: '^libs/metrics/src/metrics-http\\.ts$' },
      to: { path: '^libs/([^/]+)/src/(?!index\\.ts$)', pathNot: '^libs/$1/' },
    },
    { name: 'config-stands-alone', severity: 'error', from: { path: lib(['config']) }, to: { path: '^libs/', pathNot: lib(['config']) } },
    { name: 'common-needs-only-config', severity: 'error', from: { path: lib(['common']) }, to: { path: '^libs/', pathNot: lib(['common', 'config']) } },
    {
      name: 'infrastructure-below-features',
      severity: 'error',
      comment: 'Database, Redis, metrics and the audit log know nothing of accounts, codes, tokens or HTTP features.',
      from: { path: lib(['database', 'redis', 'metrics', 'audit']) },
      to: { path: '^libs/', pathNot: lib(['database', 'redis', 'metrics', 'audit', 'common', 'config']) },
    },
    {
      name: 'users-own-the-table',
      severity: 'error',
      comment: 'The User table’s owner depends on no account, token or HTTP library: they depend on it.',
      from: { path: lib(['users']) },
      to: { path: '^libs/', pathNot: lib(['users', 'common', 'config', 'redis']) },
    },
    {
      name: 'edges-are-leaves',
      severity: 'error',
      comment: 'The HTTP and panel libraries are assembled by the apps; no other library imports them.',
      from: { path: '^libs/([^/]+)/' },
      to: { path: lib(['admin', 'admin-api', 'auth', 'health']), pathNot: '^libs/$1/' },
    },
    {
      name: 'delivery-knows-messages-only',
      severity: 'error',
      comment: 'Delivery sends what it is given; codes, tokens, keys and accounts are the business of the libraries that call it.',
      from: { path: lib(['delivery']) },
      to: { path: '^libs/', pathNot: lib(['delivery', 'common', 'config', 'metrics', 'redis', 'users']) },
    },
    {
      name: 'health-reads-dependencies-only',
      severity: 'error',
      from: { path: lib(['health']) },
      to: { path: '^libs/', pathNot: lib(['health', 'common', 'config', 'database', 'redis', 'delivery']) },
    },
    {
      name: 'webhooks-need-no-signing-keys',
      severity: 'error',
      comment: 'The cipher for stored secrets is in #common; webhook signing is Standard Webhooks, not our JWT keys.',
      from: { path: lib(['webhooks']) },
      to: { path: lib(['signing-keys', 'auth-tokens', 'accounts', 'otp']) },
    },
    {
      name: 'accounts-below-edges',
      severity: 'error',
      comment: 'Account rules are called by the REST API, the CLI and the panel, and call none of them.',
      from: { path: lib(['accounts', 'events']) },
      to: { path: lib(['admin', 'admin-api', 'auth', 'otp', 'health']) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$|/migrations/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { conditionNames: ['types', 'import', 'default'], extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
