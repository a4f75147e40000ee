// src/server.ts as an operator runs it: a real process, its stdout and its exit code.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const TSX = path.resolve('node_modules/.bin/tsx');
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Runs the server until `until` matches its stdout (then SIGTERM) or it exits by itself. */
function runServer(env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['src/server.ts'], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the server process', () => {
  it('exits with code 1 and names the variable when the configuration is bad', async () => {
    const result = await runServer({ PORT: 'eighty', WEBHOOK_DISPATCHER: 'maybe' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('WEBHOOK_DISPATCHER');
  });

  it('prints a new API key on the first start only, and never logs it', async () => {
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
