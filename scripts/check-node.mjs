// Stops with one line when the Node.js running the project is older than package.json's engines:
// on Node 20 (end-of-life) native dependencies such as argon2 crash the process instead of failing.
import { readFileSync } from 'node:fs';

const wanted = Number(/\d+/.exec(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node)[0]);
const running = Number(process.versions.node.split('.')[0]);
if (running < wanted) {
  process.stderr.write(
    `Node.js ${wanted} or newer is needed; this is ${process.version}. Install Node.js ${wanted} LTS and run this again.\n`,
  );
  process.exit(1);
}
