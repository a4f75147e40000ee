-- CreateIndex
CREATE INDEX "checkpoints_session_id_phase_idx" ON "checkpoints"("session_id", "phase");
