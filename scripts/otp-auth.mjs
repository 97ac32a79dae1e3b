#!/usr/bin/env node
// The management CLI, as `npx otp-auth …` or `npm run cli -- …`: runs the built CLI, building first
// only when there is no build yet or a source file is newer than it, so a command answers in about
// a second and never rewrites a running server's files for nothing. Build output goes to stderr,
// so `TOKEN=$(npx otp-auth admin-token janak)` is the token alone.
import './check-node.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist/apps/cli/src/main.js');

function newestSource(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const stale = !existsSync(built) || ['apps', 'libs'].some((folder) => newestSource(join(root, folder)) > statSync(built).mtimeMs);
if (stale) {
  process.stderr.write('Building first (the sources are newer than the build)…\n');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
await import(built);
