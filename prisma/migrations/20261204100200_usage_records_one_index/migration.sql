-- Usage rows: one index, (session_id, id), for the history and replays; no foreign key check on
-- every usage update (the usage statements insert a row only for the session row they update).

-- DropForeignKey
ALTER TABLE "usage_records" DROP CONSTRAINT "usage_records_session_id_fkey";

-- DropIndex
DROP INDEX "usage_records_session_id_id_idx";

-- AlterTable
ALTER TABLE "usage_records" DROP CONSTRAINT "usage_records_pkey",
ADD CONSTRAINT "usage_records_pkey" PRIMARY KEY ("session_id", "id");

