#!/usr/bin/env node
// Runs `prisma generate` so that a fresh, offline install works.
// The Prisma 7 CLI insists on finding its native schema engine before it generates, and downloads
// it from a CDN when it is missing. Generation never runs that engine, so when it is absent we
// point PRISMA_SCHEMA_ENGINE_BINARY at a no-op instead of letting the download fail.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function bundledSchemaEngine() {
  try {
    const enginesDir = path.dirname(require.resolve('@prisma/engines/package.json'));
    return readdirSync(enginesDir).find((name) => name.startsWith('schema-engine'));
  } catch {
    return undefined;
  }
}

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !bundledSchemaEngine()) {
  const noop = ['/usr/bin/true', '/bin/true'].find((candidate) => existsSync(candidate));
  if (noop) env.PRISMA_SCHEMA_ENGINE_BINARY = noop;
}

const prismaCli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [prismaCli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
