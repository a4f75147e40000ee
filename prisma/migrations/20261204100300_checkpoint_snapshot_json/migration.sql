-- Checkpoint snapshots as `json`: the canonical text that was hashed, kept as it is. `jsonb` parsed
-- every 64 KiB snapshot into its binary form on write (a quarter of a checkpoint's cost in
-- PostgreSQL) for queries nothing runs. Rewrites the table once.
ALTER TABLE "checkpoints" ALTER COLUMN "context_snapshot" SET DATA TYPE JSON;
