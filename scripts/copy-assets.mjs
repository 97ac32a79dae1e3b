// tsc compiles .ts only. Copied next to the compiled code: the Lua scripts (read at run time) and
// the admin panel's React components (bundled by scripts/bundle-admin.mjs).
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const lib of readdirSync('libs')) {
  for (const folder of ['lua', 'components']) {
    const source = join('libs', lib, 'src', folder);
    try {
      cpSync(source, join('dist', source), { recursive: true });
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  }
}
