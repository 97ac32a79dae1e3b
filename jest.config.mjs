import { readdirSync } from 'node:fs';

// Jest under ES modules: @swc/jest transforms TypeScript (with decorator metadata), and the
// `#lib` subpath imports map to each library's source.
// Our own libraries only: dependencies use `#name` subpath imports of their own (chalk's #ansi-styles).
const libs = readdirSync(new URL('./libs', import.meta.url)).join('|');

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: {
    [`^#(${libs})$`]: '<rootDir>/libs/$1/src/index.ts',
    // Its ES build imports JSON without an import attribute, which jest warns about on every load.
    '^libphonenumber-js/max$': '<rootDir>/node_modules/libphonenumber-js/max/index.cjs',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};

// Suites under test/real-services cut, restore or inspect real servers; they run in the pass with
// DATABASE_URL and REDIS_URL set (the second pass of .ci/run), not on the embedded default.
const realServices = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

export default {
  // Global only (Jest ignores it per project): the e2e suites spawn servers and the CLI.
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: realServices ? [] : ['<rootDir>/test/real-services/'],
    },
  ],
};
