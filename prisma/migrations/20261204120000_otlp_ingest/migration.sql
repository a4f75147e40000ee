-- Sessions may carry the caller's own name for them, unique in a project (OTLP telemetry names
-- sessions this way); existing sessions have none.
-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "external_id" TEXT;

-- Usage updates made from OTLP telemetry name the span or log record they came from.
-- AlterTable
ALTER TABLE "usage_records" ADD COLUMN     "origin" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "sessions_project_id_external_id_key" ON "sessions"("project_id", "external_id");
