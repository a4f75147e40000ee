#!/usr/bin/env node
// npm install's last step: the Prisma client (offline, scripts/prisma-generate.mjs), then the
// migrated PGlite template that makes the first `npm start` and every test database quick
// (scripts/build-pglite-template.ts). The template is an optimisation: without tsx (an install
// without dev dependencies) or when building it fails, the install goes on and says why.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1;

const generated = run(['scripts/prisma-generate.mjs']);
if (generated !== 0) process.exit(generated);

let tsx;
try {
  tsx = createRequire(import.meta.url).resolve('tsx');
} catch {
  console.log('PGlite template: skipped (no tsx: an install without dev dependencies)');
  process.exit(0);
}
if (tsx && run(['--import', 'tsx', 'scripts/build-pglite-template.ts']) !== 0) {
  console.warn('PGlite template: not built; a fresh embedded database will initialise itself (slower first start)');
}
