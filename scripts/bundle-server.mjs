// Bundles the compiled API server (dist/apps/api/src/main.js) and the packages it loads at start
// into dist/server/, which `npm start`, the Docker image, the tests and the benchmark run.
// Why: on Node 20, resolving, reading and compiling ~2,000 separate module files took about 1 s of
// every API process's start (two thirds of it); a handful of files take a fraction of that. Runs
// after tsc, so the decorator metadata Nest's injection needs is already in the input.
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { adminjsServerSide } from './adminjs-server-side.mjs';
import { runtimeAssetFolders } from './runtime-assets.mjs';

const out = 'dist/server';

// Left to node_modules, each for a reason:
const external = [
  // They read their own files at run time (front-end assets, WASM, worker scripts, package.json)
  // relative to where they are installed. (AdminJS's server side is bundled, and finds its files
  // in node_modules: scripts/adminjs-server-side.mjs. Its adapters for Express, Nest and TypeORM
  // are bundled too: left outside, they loaded a second copy of Nest and of TypeORM.)
  '@electric-sql/*',
  'swagger-ui-dist',
  'pino',
  'pino-pretty',
  'app-root-path',
  // A native addon.
  'argon2',
  // Optional: required inside try/catch by Nest and TypeORM, absent here, and must stay absent.
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  // Nest's default adapter (the API runs on Fastify: configure-app.ts), and the Fastify plugins
  // Nest loads only for file uploads and views, which the API has none of.
  '@nestjs/platform-express',
  '@fastify/multipart',
  '@fastify/view',
  'class-transformer/storage',
  'pg-native',
  'pg-query-stream',
  'mysql',
  'mysql2',
  'oracledb',
  'sqlite3',
  'better-sqlite3',
  'mssql',
  'mongodb',
  'sql.js',
  'redis-mock',
  'react-native-sqlite-storage',
  '@sap/hana-client',
  '@sap/hana-client/*',
  'hdb-pool',
  'typeorm-aurora-data-api-driver',
  '@google-cloud/spanner',
  '@capacitor-community/sqlite',
  'nativescript-sqlite',
];

// libphonenumber-js ships CommonJS and ES module builds: class-validator require()s the first and
// the identifier rules import the second, which bundled two copies of its code and of its phone
// metadata (~350 KB each, both evaluated at start). Its require() calls take the ES build too.
const oneCopyOfLibphonenumber = {
  name: 'one-copy-of-libphonenumber',
  setup(build) {
    build.onResolve({ filter: /^libphonenumber-js(\/|$)/ }, (args) =>
      args.kind === 'require-call' ? build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir }) : undefined,
    );
  },
};

// Nest's Logger and ConsoleLogger each build an Intl.DateTimeFormat when their modules load, which
// maps ~5 MB of the node binary's ICU locale data into every API process; the API logs through
// pino and never prints a timestamp with them. Built on first use instead, should anything do so.
const lazyNestLoggerDateFormat = {
  name: 'lazy-nest-logger-date-format',
  setup(build) {
    build.onLoad({ filter: /@nestjs[\\/]common[\\/]services[\\/](console-)?logger\.service\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = 'const dateTimeFormatter = new Intl.DateTimeFormat(';
      if (source.split(eager).length !== 2) throw new Error(`${args.path}: its date formatter has changed: check lazyNestLoggerDateFormat`);
      const lazy =
        'const lazyDateTimeFormat = (...options) => { let formatter; return { format: (date) => (formatter ??= new Intl.DateTimeFormat(...options)).format(date) }; };\n' +
        'const dateTimeFormatter = lazyDateTimeFormat(';
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

rmSync(out, { recursive: true, force: true });
const { metafile } = await build({
  entryPoints: ['dist/apps/api/src/main.js'],
  outdir: out,
  bundle: true,
  // What is imported lazily (the HTTP workers' supervisor, the admin panel's runtime and AdminJS
  // with it) stays in chunks of its own that share one copy of every module with the rest. One
  // catch: import() of a bundled CommonJS package then yields only its `default` export. So the
  // code reads prom-client through `default`, and hands class-validator and class-transformer to
  // Nest's ValidationPipe rather than letting Nest import() them.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // Nest, TypeORM and the logs use class names; bundling must not rename a class to avoid a clash.
  keepNames: true,
  // No comments and no indentation: V8 keeps every module's source in the heap, and one comment with
  // a character beyond Latin-1 (an em dash) makes it keep the whole file as two bytes a character;
  // this takes the server's source from ~20 MB of heap to ~9. Names stay (keepNames, no identifier
  // minification), so stack traces still name their functions; `node --enable-source-maps`
  // maps their positions back to the compiled modules (docs/operations.md).
  minifyWhitespace: true,
  sourcemap: 'linked',
  external,
  plugins: [adminjsServerSide, oneCopyOfLibphonenumber, lazyNestLoggerDateFormat],
  // Bundled CommonJS packages call require() for Node's own modules and for the externals above.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});

// The server never renders React or bundles components (scripts/adminjs-server-side.mjs): should a
// change bring AdminJS's front end or bundler back in, the build says so.
const frontEnd = /node_modules\/(react|react-dom|rollup|@babel\/core|styled-components|@tiptap\/[^/]+)\//;
const strays = Object.keys(metafile.inputs).filter((input) => frontEnd.test(input));
if (strays.length) throw new Error(`front-end or bundler code in the server bundle:\n${strays.slice(0, 10).join('\n')}`);

// keepNames wraps every function and class the bundle defines in __name(fn, "name"), which
// redefines the function's name property: also each time a closure is created, on every request,
// where a CPU profile of /me found about 8 % of its time in it. A function declared by name already
// has it (Fastify's hook runner declares `function next` and calls __name(next, "next") for every
// request); then there is nothing to fix. An arrow function (an argument of __name, so unnamed) or a
// renamed class (User2 for a second User) still gets its name.
const nameHelper = 'var __name=(target,value)=>__defProp(target,"name",{value,configurable:true});';
const cheapNameHelper = 'var __name=(target,value)=>target.name===value?target:__defProp(target,"name",{value,configurable:true});';
const withHelper = readdirSync(out).filter((file) => file.endsWith('.js') && readFileSync(join(out, file), 'utf8').includes(nameHelper));
if (withHelper.length !== 1) throw new Error(`esbuild's __name helper found in ${withHelper.length} files, not 1: check its output`);
const helperFile = join(out, withHelper[0]);
writeFileSync(helperFile, readFileSync(helperFile, 'utf8').replace(nameHelper, cheapNameHelper));

// Node hands V8 a module's source as a two-byte string if the file holds a single character beyond
// ASCII, and V8 keeps every module's source: three chunks (validator's alphabets in its regular
// expressions, one terminal-escape regex, a licence comment) doubled ~5 MB of source in the heap.
// esbuild escapes such characters in strings, not in regular expression literals or comments, where
// \uXXXX means the same character (a surrogate pair in a /u expression is one code point again).
for (const file of readdirSync(out).filter((name) => name.endsWith('.js'))) {
  const path = join(out, file);
  const source = readFileSync(path, 'utf8');
  // `\é` in a regular expression is an identity escape; `\\u00e9` would not be: refuse rather than guess.
  if (/\\[^\x00-\x7f]/.test(source)) throw new Error(`${file}: a character beyond ASCII after a backslash: escape it by hand`);
  const ascii = source.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== source) writeFileSync(path, ascii);
}

// Files the code reads next to itself (new URL('./lua/…', import.meta.url)): beside the bundle now.
for (const { folder, path } of runtimeAssetFolders('dist/libs')) {
  for (const file of readdirSync(path)) {
    if (existsSync(join(out, folder, file))) throw new Error(`${folder}/${file} exists in two libraries: the bundle can hold only one`);
  }
  cpSync(path, join(out, folder), { recursive: true });
}
console.log(`API server bundled into ${out}/`);
