// The folders of files a library's code reads next to itself at run time (tsc compiles .ts only):
// the Lua scripts, and the admin panel's React components (bundled by scripts/bundle-admin.mjs).
// scripts/copy-assets.mjs puts them beside the compiled code, scripts/bundle-server.mjs beside the bundle.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Each such folder under `root` (libs or dist/libs): its kind ('lua', 'components') and path. */
export function runtimeAssetFolders(root) {
  return readdirSync('libs').flatMap((lib) =>
    ['lua', 'components'].map((folder) => ({ folder, path: join(root, lib, 'src', folder) })).filter(({ path }) => existsSync(path)),
  );
}
