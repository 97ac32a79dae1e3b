// The dashboard imports recharts' ES module build by path (see dashboard.tsx): the same API as the
// package's main entry, whose types these are.
declare module 'recharts/es6/index.js' {
  export * from 'recharts';
}
