// Periodic clean-up of what grows without bound. Runs in every replica; each step is idempotent.
import type { Clock } from '../../lib/clock.js';
import type { CheckpointsRepository } from '../checkpoints/checkpoints.repository.js';
import type { IdempotencyRepository } from '../idempotency/idempotency.repository.js';
import type { ReservationsRepository } from '../reservations/reservations.repository.js';
import type { UsageRepository } from '../usage/usage.repository.js';
import type { OutboxRepository } from '../webhooks/outbox.repository.js';

export const HOUSEKEEPING_INTERVAL_MS = 15 * 60_000;
/** Rows deleted per statement, so a first prune of a large table never holds locks for long. */
export const PRUNE_BATCH_SIZE = 5000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface HousekeepingDeps {
  idempotency: Pick<IdempotencyRepository, 'deleteOlderThan'>;
  usage: Pick<UsageRepository, 'deleteOlderThan'>;
  checkpoints: Pick<CheckpointsRepository, 'deleteOlderThan'>;
  events: Pick<OutboxRepository, 'deleteOlderThan'>;
  /** Holds past expires_at (already not counting) are marked expired. */
  reservations: Pick<ReservationsRepository, 'expireHolds'>;
  clock: Clock;
  idempotencyTtlHours: number;
  /** Unset: keep forever. */
  usageRetentionDays?: number;
  checkpointRetentionDays?: number;
  eventRetentionDays?: number;
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
  const { idempotency, usage, checkpoints, events, reservations, clock, idempotencyTtlHours } = deps;
  return {
    /** One pass; returns what it removed. */
    async tick(): Promise<{ idempotencyRecords: number; usageRecords: number; checkpoints: number; events: number; expiredHolds: number }> {
      const now = clock.now().getTime();
      const idempotencyCutoff = now - idempotencyTtlHours * HOUR_MS;
      const idempotencyRecords = await idempotency.deleteOlderThan(new Date(idempotencyCutoff));
      const olderThanDays = (days: number | undefined, prune: (before: Date, batchSize: number) => Promise<number>, notAfter = now) =>
        days === undefined ? Promise.resolve(0) : inBatches((batchSize) => prune(new Date(Math.min(now - days * DAY_MS, notAfter)), batchSize));
      return {
        idempotencyRecords,
        // A live Idempotency-Key replays its response from its usage row: keep rows as long as keys.
        usageRecords: await olderThanDays(deps.usageRetentionDays, usage.deleteOlderThan, idempotencyCutoff),
        checkpoints: await olderThanDays(deps.checkpointRetentionDays, checkpoints.deleteOlderThan),
        events: await olderThanDays(deps.eventRetentionDays, events.deleteOlderThan),
        expiredHolds: await inBatches((batchSize) => reservations.expireHolds(new Date(now), batchSize)),
      };
    },
  };
}

export type Housekeeping = ReturnType<typeof createHousekeeping>;
