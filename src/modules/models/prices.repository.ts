import { Prisma, type PrismaClient } from '../../lib/prisma.js';
import { decimalText } from '../../lib/decimal.js';
import { isUniqueViolation } from '../../lib/prisma-errors.js';
import type { ModelPrices } from '../../domain/prices.js';

export interface ProjectPrice {
  model: string;
  version: number;
  prices: ModelPrices;
  createdAt: Date;
}

interface PriceRow {
  model: string;
  version: number;
  input: Prisma.Decimal;
  output: Prisma.Decimal;
  cache_read: Prisma.Decimal;
  cache_write: Prisma.Decimal;
  cache_write_1h: Prisma.Decimal | null;
  created_at: Date;
}

const toPrice = (row: PriceRow): ProjectPrice => ({
  model: row.model,
  version: row.version,
  prices: {
    input: decimalText(row.input)!,
    output: decimalText(row.output)!,
    cacheRead: decimalText(row.cache_read)!,
    cacheWrite: decimalText(row.cache_write)!,
    cacheWrite1h: decimalText(row.cache_write_1h),
  },
  createdAt: row.created_at,
});

/** Attempts at taking the next version when concurrent changes of one model's prices collide. */
const INSERT_ATTEMPTS = 5;

export function createPricesRepository(prisma: PrismaClient) {
  return {
    /** The latest version of each model's prices in the project. */
    async latest(projectId: string): Promise<ProjectPrice[]> {
      const rows = await prisma.$queryRaw<PriceRow[]>`
        SELECT DISTINCT ON (model) model, version, input, output, cache_read, cache_write, cache_write_1h, created_at
        FROM model_prices WHERE project_id = ${projectId} ORDER BY model, version DESC`;
      return rows.map(toPrice);
    },

    /** Adds the next version of a model's prices (the older ones stay, as the usage rows priced at them name them). */
    async insertNext(projectId: string, model: string, prices: ModelPrices, now: Date): Promise<ProjectPrice> {
      for (let attempt = 1; ; attempt++) {
        try {
          const [row] = await prisma.$queryRaw<PriceRow[]>`
            INSERT INTO model_prices (project_id, model, version, input, output, cache_read, cache_write, cache_write_1h, created_at)
            SELECT ${projectId}, ${model}, coalesce(max(version), 0) + 1, ${prices.input}::numeric, ${prices.output}::numeric,
              ${prices.cacheRead}::numeric, ${prices.cacheWrite}::numeric, ${prices.cacheWrite1h}::numeric, ${now}::timestamptz
            FROM model_prices WHERE project_id = ${projectId} AND model = ${model}
            RETURNING model, version, input, output, cache_read, cache_write, cache_write_1h, created_at`;
          return toPrice(row!);
        } catch (error) {
          if (!isUniqueViolation(error) || attempt === INSERT_ATTEMPTS) throw error;
        }
      }
    },
  };
}

export type PricesRepository = ReturnType<typeof createPricesRepository>;
