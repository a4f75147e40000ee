// Periodic clean-up of what grows without bound. Runs in every replica; each step is idempotent.
import type { Clock } from '../../lib/clock.js';
import type { IdempotencyRepository } from '../idempotency/idempotency.repository.js';

export const HOUSEKEEPING_INTERVAL_MS = 15 * 60_000;

export interface HousekeepingDeps {
  idempotency: Pick<IdempotencyRepository, 'deleteOlderThan'>;
  clock: Clock;
  idempotencyTtlHours: number;
}

export function createHousekeeping({ idempotency, clock, idempotencyTtlHours }: HousekeepingDeps) {
  return {
    /** One pass; returns what it removed. */
    async tick(): Promise<{ idempotencyRecords: number }> {
      const expiredBefore = new Date(clock.now().getTime() - idempotencyTtlHours * 3_600_000);
      return { idempotencyRecords: await idempotency.deleteOlderThan(expiredBefore) };
    },
  };
}

export type Housekeeping = ReturnType<typeof createHousekeeping>;
