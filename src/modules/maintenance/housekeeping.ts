// Periodic clean-up of what grows without bound. Runs in every replica; each step is idempotent.
import type { Clock } from '../../lib/clock.js';
import type { CheckpointsRepository } from '../checkpoints/checkpoints.repository.js';
import type { IdempotencyRepository } from '../idempotency/idempotency.repository.js';
import type { UsageRepository } from '../usage/usage.repository.js';

export const HOUSEKEEPING_INTERVAL_MS = 15 * 60_000;
/** Rows deleted per statement, so a first prune of a large table never holds locks for long. */
export const PRUNE_BATCH_SIZE = 5000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface HousekeepingDeps {
  idempotency: Pick<IdempotencyRepository, 'deleteOlderThan'>;
  usage: Pick<UsageRepository, 'deleteOlderThan'>;
  checkpoints: Pick<CheckpointsRepository, 'deleteOlderThan'>;
  clock: Clock;
  idempotencyTtlHours: number;
  /** Unset: keep forever. */
  usageRetentionDays?: number;
  checkpointRetentionDays?: number;
}

async function inBatches(deleteBatch: (batchSize: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch(PRUNE_BATCH_SIZE);
    total += deleted;
    if (deleted < PRUNE_BATCH_SIZE) return total;
  }
}

export function createHousekeeping(deps: HousekeepingDeps) {
  const { idempotency, usage, checkpoints, clock, idempotencyTtlHours, usageRetentionDays, checkpointRetentionDays } = deps;
  return {
    /** One pass; returns what it removed. */
    async tick(): Promise<{ idempotencyRecords: number; usageRecords: number; checkpoints: number }> {
      const now = clock.now().getTime();
      const idempotencyCutoff = now - idempotencyTtlHours * HOUR_MS;
      const idempotencyRecords = await idempotency.deleteOlderThan(new Date(idempotencyCutoff));
      let usageRecords = 0;
      if (usageRetentionDays !== undefined) {
        // A live Idempotency-Key replays its response from its usage row: keep rows as long as keys.
        const cutoff = new Date(Math.min(now - usageRetentionDays * DAY_MS, idempotencyCutoff));
        usageRecords = await inBatches((batchSize) => usage.deleteOlderThan(cutoff, batchSize));
      }
      let prunedCheckpoints = 0;
      if (checkpointRetentionDays !== undefined) {
        const cutoff = new Date(now - checkpointRetentionDays * DAY_MS);
        prunedCheckpoints = await inBatches((batchSize) => checkpoints.deleteOlderThan(cutoff, batchSize));
      }
      return { idempotencyRecords, usageRecords, checkpoints: prunedCheckpoints };
    },
  };
}

export type Housekeeping = ReturnType<typeof createHousekeeping>;
