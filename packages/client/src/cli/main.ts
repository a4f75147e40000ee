#!/usr/bin/env node
// `session-state` (the package's bin; `npm run cli -- …` from source): see `--help`.
import { run } from './run.js';

const controller = new AbortController();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // The first Ctrl-C stops `watch` cleanly; a second one stops whatever is running.
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  });
}

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  signal: controller.signal,
});
