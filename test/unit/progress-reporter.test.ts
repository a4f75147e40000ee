// The reporter of `npm test` (test/reporters/progress.ts): a real vitest run of three small files
// through it, in a child process, its output read back.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { elapsed, progressLabel } from '../reporters/progress.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('progressLabel', () => {
  it.each([
    [1, 143, 0, '[  1/143 0s]'],
    [37, 143, 72.9, '[ 37/143 1m12s]'],
    [143, 143, 245, '[143/143 4m05s]'],
    [3, 9, 59.99, '[3/9 59s]'],
  ])('%i of %i after %ss is %s', (done, total, seconds, label) => {
    expect(progressLabel(done, total, seconds)).toBe(label);
  });

  it('writes minutes past the hour as minutes', () => {
    expect(elapsed(3725)).toBe('62m05s');
  });
});

/** Runs vitest on `dir` with the reporter, as a pipe sees it (no terminal); resolves with its output. */
function runVitest(dir: string): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'NODE_OPTIONS'));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', dir, '--config', path.join(dir, 'vitest.config.mts')],
      {
        cwd: dir,
        env: { ...env, NO_COLOR: '1', CI: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', () => resolve(output));
  });
}

describe('ProgressReporter', () => {
  it("leads each finished file's line with the files done of the total, passed or failed", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sss-reporter-'));
    try {
      const reporter = path.join(ROOT, 'test/reporters/progress.ts');
      await writeFile(
        path.join(dir, 'vitest.config.mts'),
        `import { ProgressReporter } from ${JSON.stringify(reporter)};\n` +
          `export default { test: { include: ['*.test.ts'], fileParallelism: false, reporters: [new ProgressReporter()] } };\n`,
      );
      await writeFile(path.join(dir, 'a.test.ts'), "import { it } from 'vitest';\nit('passes', () => {});\n");
      await writeFile(path.join(dir, 'b.test.ts'), "import { it } from 'vitest';\nit('passes too', () => {});\n");
      await writeFile(path.join(dir, 'c.test.ts'), "import { expect, it } from 'vitest';\nit('fails', () => { expect(1).toBe(2); });\n");

      const output = await runVitest(dir);

      const fileLines = output.split('\n').filter((line) => /^ \[\d\/3 \d+s\] /.test(line));
      expect(
        fileLines.map((line) => /\[(\d)\/3/.exec(line)![1]),
        output,
      ).toEqual(['1', '2', '3']);
      expect(
        fileLines.filter((line) => /[✓√] [ab]\.test\.ts \(1 test\)/.test(line)),
        output,
      ).toHaveLength(2);
      expect(
        fileLines.filter((line) => /[❯>×] c\.test\.ts \(1 test \| 1 failed\)/.test(line)),
        output,
      ).toHaveLength(1);
      expect(output).toMatch(/Test Files\s+1 failed \| 2 passed \(3\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
