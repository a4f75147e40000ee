// The servers under test and the one-shot drivers, each a real child process, with its output
// kept for when it fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { treeCpuMsOf } from './cpu.js';

export interface ServerProcess {
  name: string;
  baseUrl: string;
  /** What the process printed so far (stdout and stderr), for error messages. */
  output(): string;
  /** CPU time (user + system) the process and its children have used so far, in ms; NaN where /proc is missing. */
  cpuMs(): number;
  /** From spawning the process to its first `ready` answer, in ms. */
  readyMs: number;
  /** CPU time it had used by then, in ms. */
  readyCpuMs: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 25;
const STOP_TIMEOUT_MS = 10_000;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/** Starts `node args…` and waits until the `ready` request gets its status. */
export async function startServer(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  ready: { method: 'GET' | 'POST'; path: string; status: number };
  cwd: string;
}): Promise<ServerProcess> {
  const spawned = performance.now();
  const child: ChildProcess = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => {
    alive = false;
  });

  const baseUrl = `http://127.0.0.1:${options.port}`;
  const server: ServerProcess = {
    name: options.name,
    baseUrl,
    output: () => output,
    cpuMs: () => treeCpuMsOf(child.pid),
    readyMs: Number.NaN,
    readyCpuMs: Number.NaN,
    async stop() {
      if (!alive) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!alive) throw new Error(`${options.name} exited before it was ready:\n${output}`);
    try {
      const response = await fetch(`${baseUrl}${options.ready.path}`, { method: options.ready.method });
      if (response.status === options.ready.status) {
        server.readyMs = performance.now() - spawned;
        server.readyCpuMs = server.cpuMs();
        return server;
      }
    } catch {
      // Not listening yet.
    }
    await sleep(READY_POLL_MS);
  }
  await server.stop();
  throw new Error(`${options.name} was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

/** Runs `node args…` to its end and parses the last line it prints as JSON (a driver's result). */
export async function runDriver<T>(options: { name: string; args: string[]; env: Record<string, string>; cwd: string }): Promise<T> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`${options.name} exited with ${code}:\n${stderr}${stdout.slice(-5000)}`);
  return JSON.parse(last) as T;
}
