-- NOTIFY takes a database-wide lock from the notifying transaction's commit to its end, so
-- notifying transactions commit one at a time: a NOTIFY for every event made every checkpoint write
-- (each writes `checkpoint.created`) wait for the one before it, a third of the throughput without.
-- Processes with open event streams register the projects they follow here, under a lease they
-- renew; the trigger notifies only for events of a project someone follows.
CREATE TABLE "event_stream_listeners" (
    "project_id" TEXT NOT NULL,
    "listener_id" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "event_stream_listeners_pkey" PRIMARY KEY ("project_id","listener_id")
);

CREATE OR REPLACE FUNCTION "notify_events"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM event_stream_listeners l WHERE l.project_id = NEW.project_id AND l.expires_at > now()) THEN
    PERFORM pg_notify('events', NEW.project_id);
  END IF;
  RETURN NULL;
END
$$;
