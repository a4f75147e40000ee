// `npm test`'s reporter: vitest's default one, with every finished file's line led by how many
// files are done of how many, and the time so far: `[ 37/143 1m12s] ✓ test/api/usage.test.ts …`.
// The default reporter shows that count only in its live summary, which a terminal alone gets
// (not CI logs, nor output piped to a file), and vitest picks a quieter reporter for AI agents.
import { DefaultReporter } from 'vitest/node';
import type { TestModule, TestSpecification } from 'vitest/node';

/** `83` → `1m23s`, `7` → `7s`. */
export function elapsed(seconds: number): string {
  const whole = Math.floor(seconds);
  return whole < 60 ? `${whole}s` : `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

/** `[ 37/143 1m12s]`: the done count padded to the total's width, so the lines align. */
export function progressLabel(done: number, total: number, seconds: number): string {
  return `[${String(done).padStart(String(total).length)}/${total} ${elapsed(seconds)}]`;
}

export class ProgressReporter extends DefaultReporter {
  private total = 0;
  private done = 0;
  private startedAt = 0;

  override onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    this.total = specifications.length;
    this.done = 0;
    this.startedAt = performance.now();
    super.onTestRunStart(specifications);
  }

  override onTestModuleEnd(testModule: TestModule): void {
    this.done += 1;
    super.onTestModuleEnd(testModule);
  }

  /** The ✓/× of a file's line (the default reporter's), after the progress label. */
  protected override getEntityPrefix(entity: Parameters<DefaultReporter['getEntityPrefix']>[0]): string {
    const prefix = super.getEntityPrefix(entity);
    if (entity.type !== 'module') return prefix;
    return `${progressLabel(this.done, this.total, (performance.now() - this.startedAt) / 1000)} ${prefix}`;
  }
}
