-- Idempotency-Keys are no longer claimed before a request runs and completed after it: the answer
-- is stored in the transaction of the change itself (so a crash can never leave a change without
-- its answer, nor let a retry run it again), with the headers a replay repeats.
ALTER TABLE "idempotency_records" DROP COLUMN "completed_at",
ADD COLUMN     "response_headers" JSONB;
