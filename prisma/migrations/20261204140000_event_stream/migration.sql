-- The live event stream (GET /v1/events/stream).

-- AlterTable
-- Which transaction wrote each event. `seq` is taken when a row is inserted, not when it commits, so
-- a reader that has seen seq 7 may later see seq 6 commit; the stream reads in (txid, seq) order and
-- only rows of transactions older than every one still running (pg_snapshot_xmin), after which no
-- row can appear before them. Existing rows read as '0' (long committed): a constant default adds
-- the column without rewriting the table; new rows then get their transaction's id.
ALTER TABLE "events" ADD COLUMN     "txid" xid8 NOT NULL DEFAULT '0';
ALTER TABLE "events" ALTER COLUMN "txid" SET DEFAULT pg_current_xact_id();

-- CreateIndex
CREATE INDEX "events_project_id_txid_seq_idx" ON "events"("project_id", "txid", "seq");

-- Wake every process's streams of a project when a transaction that wrote its events commits:
-- NOTIFY is delivered at commit, once per distinct payload per transaction. A row trigger, not a
-- statement one, so a statement that inserts no event (a usage update that crosses nothing) runs
-- no trigger at all.
CREATE FUNCTION "notify_events"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('events', NEW.project_id);
  RETURN NULL;
END
$$;

CREATE TRIGGER "events_notify" AFTER INSERT ON "events"
  FOR EACH ROW EXECUTE FUNCTION "notify_events"();
