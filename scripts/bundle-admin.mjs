// Builds AdminJS's front-end bundle of the panel's custom components (.adminjs/bundle.js) at build
// time, so the server never bundles at start-up and nothing is fetched: the same step AdminJS runs
// in production, over the same component loader the server uses. Runs after tsc.
process.env.NODE_ENV = 'production';
// AdminJS's rollup prints every warning, and recharts' ES modules import each other in a circle
// that is harmless in a bundle; AdminJS takes no onwarn to hand them to.
const warn = console.warn;
console.warn = (...args) => {
  if (/^Circular dependency: node_modules\/(recharts|victory-vendor)\//.test(String(args[0]))) return;
  warn(...args);
};
const { default: AdminJS } = await import('adminjs');
const { componentLoader } = await import('../dist/libs/admin/src/component-loader.js');
const started = Date.now();
await new AdminJS({ componentLoader }).initialize();
console.log(`AdminJS bundle ready in ${Date.now() - started} ms`);
