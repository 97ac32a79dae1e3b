// An esbuild plugin for scripts/bundle-server.mjs: AdminJS's server side into the bundle, without
// its front end and its bundler.
// Why: `import … from 'adminjs'` loads the package's whole index — its React front end (components,
// hooks, the design system's 1.2 MB of styled components, the rich-text editor) and its component
// bundler (rollup with its native addon, Babel) — ~13 MB of files, ~60 MB of the API process's RSS
// once the panel had loaded. The server needs none of it: the browser gets AdminJS's prebuilt
// front-end files (admin-mount.ts), and `npm run build` bundles the panel's components
// (scripts/bundle-admin.mjs). What the server runs is ~250 KB.
//   - `adminjs` (from our code and from @adminjs/express, /nestjs, /typeorm) is AdminJS's index
//     without `frontend/index.js`: the AdminJS class and the backend, locale, utils and constants;
//   - `@adminjs/design-system`, from AdminJS's server files, is the two things they take from it:
//     combineStyles (the theme for the page templates) and DEFAULT_DRAWER_WIDTH;
//   - AdminJS's component bundler and its entry generator become stubs that refuse to run
//     (admin-panel.runtime.ts turns off initialize() and watch(), their only callers);
//   - AdminJS's files that find their own assets through import.meta.url (its package.json, the
//     front-end assets, the design system's and themes' paths) get the URL of the installed file
//     they came from, so they find them in node_modules/adminjs as before.
// esbuild fails the build if AdminJS's server side ever imports a name the shims lack.
import { dirname, join, relative } from 'node:path';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const adminjsRoot = dirname(createRequire(import.meta.url).resolve('adminjs'));
const designSystemBuild = dirname(createRequire(join(adminjsRoot, 'index.js')).resolve('@adminjs/design-system'));
const ownFile = new RegExp(`^${adminjsRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/lib/.*\\.js$`);

const virtual = {
  adminjs: {
    resolveDir: adminjsRoot,
    contents: [
      "export { default } from './lib/adminjs.js';",
      ...['backend/index.js', 'locale/index.js', 'utils/index.js', 'constants.js'].map((file) => `export * from './lib/${file}';`),
    ].join('\n'),
  },
  '@adminjs/design-system': {
    resolveDir: designSystemBuild,
    contents: "export { combineStyles } from './utils/combine-styles.js';\nexport { DEFAULT_DRAWER_WIDTH } from './constants.js';",
  },
  'adminjs-bundler': {
    resolveDir: adminjsRoot,
    contents:
      'export default () => { throw new Error("AdminJS\'s component bundler is not part of the server: `npm run build` bundles the panel\'s components"); };',
  },
  'adminjs-location': {
    resolveDir: adminjsRoot,
    // import.meta.url here is the bundle chunk's: adminjs resolves from there as from our own code.
    contents: [
      "import { createRequire } from 'node:module';",
      "import { dirname, join } from 'node:path';",
      "import { pathToFileURL } from 'node:url';",
      "const root = dirname(createRequire(import.meta.url).resolve('adminjs'));",
      'export const adminjsFileUrl = (file) => pathToFileURL(join(root, file)).href;',
    ].join('\n'),
  },
};

export const adminjsServerSide = {
  name: 'adminjs-server-side',
  setup(build) {
    const toVirtual = (name) => () => ({ path: name, namespace: 'adminjs-server-side' });
    build.onResolve({ filter: /^adminjs$/ }, toVirtual('adminjs'));
    build.onResolve({ filter: /^@adminjs\/design-system$/ }, (args) =>
      ownFile.test(args.importer) ? toVirtual('@adminjs/design-system')() : undefined,
    );
    build.onResolve({ filter: /\/bundler\/(components\.bundler|generate-user-component-entry)\.js$/ }, (args) =>
      ownFile.test(args.importer) ? toVirtual('adminjs-bundler')() : undefined,
    );
    build.onResolve({ filter: /^adminjs-location$/ }, (args) =>
      ownFile.test(args.importer) ? toVirtual('adminjs-location')() : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'adminjs-server-side' }, ({ path }) => ({ ...virtual[path], loader: 'js' }));
    build.onLoad({ filter: ownFile }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const file = JSON.stringify(relative(adminjsRoot, path));
      return {
        contents: `import { adminjsFileUrl as __adminjsFileUrl } from 'adminjs-location';\n${source.replaceAll('import.meta.url', `__adminjsFileUrl(${file})`)}`,
        loader: 'js',
      };
    });
  },
};
