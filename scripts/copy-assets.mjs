// tsc compiles .ts only: each library's run-time files are copied next to its compiled code.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeAssetFolders } from './runtime-assets.mjs';

for (const { path } of runtimeAssetFolders('libs')) cpSync(path, join('dist', path), { recursive: true });
