-- A session archived by emergency recovery names its successor, so its GET and the
-- SESSION_ARCHIVED problems of usage, checkpoints and the other writes say where to go on.
ALTER TABLE "sessions" ADD COLUMN "recovered_to_session_id" TEXT;

-- Recoveries that ran before this column existed: the successor names its original.
UPDATE "sessions" AS original
SET "recovered_to_session_id" = successor."id"
FROM "sessions" AS successor
WHERE successor."recovered_from_session_id" = original."id";

CREATE UNIQUE INDEX "sessions_recovered_to_session_id_key" ON "sessions"("recovered_to_session_id");
