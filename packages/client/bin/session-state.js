#!/usr/bin/env node
// `session-state`, the CLI of @session-state/client. Installed from the registry or a tarball, the
// package holds the compiled CLI (dist/cli/main.js) and that runs. In a checkout of the repository,
// where nothing is built, it runs the TypeScript source with tsx (a dev dependency there), so that
// `npx session-state` works right after `npm install`.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

async function tsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return undefined;
  }
}

const loader = existsSync(source) ? await tsx() : undefined;
if (loader) {
  loader.register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  console.error('session-state: the CLI is not built: run `npm run build -w @session-state/client` (or install tsx to run it from source)');
  process.exitCode = 1;
}
