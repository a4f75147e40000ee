-- Token classes and cost (issue 14). A session counts `all` tokens (as before) or
-- `billable_input_output` (cache reads excluded), and may carry a cost limit with its own
-- thresholds (existing sessions get the default ones); cost_used_usd is the exact sum of its usage rows' cost_usd.
-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "count_mode" TEXT NOT NULL DEFAULT 'all',
ADD COLUMN     "cost_used_usd" DECIMAL NOT NULL DEFAULT 0,
ADD COLUMN     "cost_limit_usd" DECIMAL,
ADD COLUMN     "cost_thresholds" INTEGER[] DEFAULT ARRAY[75, 85]::INTEGER[];

-- A usage row keeps the classes it counted (null for a plain { tokens } update), its exact cost
-- and the version of the prices that cost came from, so that a price change never rewrites
-- history; and the session's cost position after it, to replay its answer.
-- AlterTable
ALTER TABLE "usage_records" ADD COLUMN     "provider" TEXT,
ADD COLUMN     "cache_read_tokens" INTEGER,
ADD COLUMN     "cache_write_tokens" INTEGER,
ADD COLUMN     "cache_write_1h_tokens" INTEGER,
ADD COLUMN     "reasoning_tokens" INTEGER,
ADD COLUMN     "cost_usd" DECIMAL,
ADD COLUMN     "price_version" TEXT,
ADD COLUMN     "cost_used_after" DECIMAL,
ADD COLUMN     "cost_limit_after" DECIMAL,
ADD COLUMN     "cost_crossed" INTEGER[] DEFAULT ARRAY[]::INTEGER[];

-- A project's own prices per model, one row per version: a change adds a version, and usage
-- rows name the version they were priced at.
-- CreateTable
CREATE TABLE "model_prices" (
    "project_id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "input" DECIMAL NOT NULL,
    "output" DECIMAL NOT NULL,
    "cache_read" DECIMAL NOT NULL,
    "cache_write" DECIMAL NOT NULL,
    "cache_write_1h" DECIMAL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_prices_pkey" PRIMARY KEY ("project_id","model","version")
);
