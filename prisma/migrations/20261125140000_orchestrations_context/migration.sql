
-- CreateTable
CREATE TABLE "orchestrations" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "max_parallel_sessions" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "orchestrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orchestration_nodes" (
    "orchestration_id" TEXT NOT NULL,
    "spec_id" TEXT NOT NULL,
    "depends_on" TEXT[],
    "status" TEXT NOT NULL,
    "session_id" TEXT,
    "position" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "orchestration_nodes_pkey" PRIMARY KEY ("orchestration_id","spec_id")
);

-- CreateTable
CREATE TABLE "orchestration_explorations" (
    "id" TEXT NOT NULL,
    "orchestration_id" TEXT NOT NULL,
    "spec_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orchestration_explorations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mcp_servers" (
    "project_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tool_definition_tokens" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mcp_servers_pkey" PRIMARY KEY ("project_id","name")
);

-- CreateIndex
CREATE INDEX "orchestrations_project_id_id_idx" ON "orchestrations"("project_id", "id" DESC);

-- CreateIndex
CREATE INDEX "orchestration_explorations_orchestration_id_spec_id_idx" ON "orchestration_explorations"("orchestration_id", "spec_id");

-- AddForeignKey
ALTER TABLE "orchestration_nodes" ADD CONSTRAINT "orchestration_nodes_orchestration_id_fkey" FOREIGN KEY ("orchestration_id") REFERENCES "orchestrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "orchestration_explorations" ADD CONSTRAINT "orchestration_explorations_orchestration_id_fkey" FOREIGN KEY ("orchestration_id") REFERENCES "orchestrations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

