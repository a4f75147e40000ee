
-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "merged_into_session_id" TEXT,
ADD COLUMN     "recovery_checkpoint_id" TEXT;

-- CreateTable
CREATE TABLE "checkpoints" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "total" BIGINT NOT NULL,
    "used" BIGINT NOT NULL,
    "context_snapshot" JSONB NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "checkpoints_session_id_id_idx" ON "checkpoints"("session_id", "id" DESC);

-- CreateIndex
CREATE INDEX "checkpoints_created_at_idx" ON "checkpoints"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_recovered_from_session_id_key" ON "sessions"("recovered_from_session_id");

-- CreateIndex
CREATE INDEX "sessions_fork_checkpoint_id_idx" ON "sessions"("fork_checkpoint_id");

-- CreateIndex
CREATE INDEX "sessions_recovery_checkpoint_id_idx" ON "sessions"("recovery_checkpoint_id");

-- AddForeignKey
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

