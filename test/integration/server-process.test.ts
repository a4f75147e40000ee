// src/server.ts and src/worker.ts as an operator runs them: real processes, their output and exit codes.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withScratchDatabase } from '../helpers/scratch-database.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Runs an entry until `until` matches its stdout (then SIGTERM) or it exits by itself. */
function runProcess(entry: string, env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Node itself with tsx's loader, not the tsx CLI: signals then reach the process under test directly.
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Once: close-with-grace takes a second signal as "exit now, with code 1".
      if (!signalled && until?.test(stdout)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const runServer = (env: Record<string, string>, until?: RegExp) => runProcess('src/server.ts', env, until);
const runWorker = (env: Record<string, string>, until?: RegExp) => runProcess('src/worker.ts', env, until);

describe('the server process', () => {
  it('exits with code 1 and names the variable when the configuration is bad', async () => {
    const result = await runServer({ PORT: 'eighty', WEBHOOK_DISPATCHER: 'maybe' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('WEBHOOK_DISPATCHER');
  });

  it('prints a new API key on the first start only, and never logs it', { timeout: 90_000 }, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sss-server-'));
    dirs.push(dataDir);

    const first = await runServer({ DATA_DIR: dataDir }, /session state service ready/);
    const key = /\b(sss_[A-Za-z0-9_-]{43})\b/.exec(first.stdout)?.[1];
    expect(key, first.stdout + first.stderr).toBeDefined();
    expect(first.stdout.split(key!).length - 1).toBe(1);

    const second = await runServer({ DATA_DIR: dataDir }, /session state service ready/);
    expect(second.stdout).toContain('session state service ready');
    expect(second.stdout).not.toMatch(/sss_[A-Za-z0-9_-]{43}/);
  });
});

describe('the worker process', () => {
  it('refuses the embedded database, whose files belong to the API process', async () => {
    const result = await runWorker({});
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('npm run worker needs DATABASE_URL');
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('runs the dispatcher on PostgreSQL and stops cleanly on SIGTERM', async () => {
    const result = await withScratchDatabase('worker', (url) => runWorker({ DATABASE_URL: url }, /webhook dispatcher running/));
    expect(result.stdout).toContain('webhook dispatcher running');
    expect(result.stdout).toContain('shutting down');
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});
