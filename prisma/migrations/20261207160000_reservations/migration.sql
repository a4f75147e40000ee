-- Reservations (holds): tokens set aside before a model call, so that parallel agents on one budget
-- cannot all see room and together overshoot it (issue 13).
--
-- `reserved` is computed, never a counter that waits for a sweep: the sum of the tokens of holds in
-- status 'held' whose expires_at is still ahead. `charged` lists every session a hold counts on (its
-- own, and the ancestors whose budget it shares); the GIN index serves "the live holds counting on
-- session X". sessions.held_tokens is the sum of the tokens of the holds in status 'held' that count
-- on the session, expired or not: every change of it is made under the session's row lock, so it is
-- exact, and 0 tells the reads (and the usage statements) that there is nothing to sum.
CREATE TABLE "reservations" (
    "id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "tokens" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "charged" TEXT[],
    "source" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),
    "release_reason" TEXT,
    "commit_request_hash" TEXT,
    "usage_record_id" TEXT,

    CONSTRAINT "reservations_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "reservations_session_id_id_idx" ON "reservations"("session_id", "id" DESC);
CREATE INDEX "reservations_charged_held_idx" ON "reservations" USING GIN ("charged") WHERE "status" = 'held';
CREATE INDEX "reservations_expires_at_held_idx" ON "reservations"("expires_at") WHERE "status" = 'held';

ALTER TABLE "sessions" ADD COLUMN "held_tokens" BIGINT NOT NULL DEFAULT 0;

-- The tokens of the live holds counting on a session at `p_now`.
CREATE FUNCTION "sss_reserved"(p_session TEXT, p_now TIMESTAMPTZ) RETURNS BIGINT LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(r.tokens), 0)::bigint FROM reservations r
  WHERE r.charged @> ARRAY[p_session] AND r.status = 'held' AND r.expires_at > p_now
$$;

-- Grants a hold, or says why not, in one round trip. The session rows the hold counts on are locked
-- first (in one order: see sss_lock_sessions); each statement after that reads with a fresh snapshot
-- (READ COMMITTED, a VOLATILE function), so it sees every hold granted or ended before the lock was
-- had: the check and the insert are atomic under any concurrency, on any number of replicas.
-- outcome: granted | not_found | status (the session's status refuses usage) | exhausted.
CREATE FUNCTION "sss_reserve"(
  p_project TEXT, p_session TEXT, p_id TEXT, p_tokens INTEGER, p_now TIMESTAMPTZ, p_expires_at TIMESTAMPTZ,
  p_source TEXT, p_metadata JSONB, p_allowed TEXT[]
) RETURNS TABLE (outcome TEXT, session_status TEXT, total BIGINT, used BIGINT, reserved BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_session RECORD;
  v_reserved BIGINT;
BEGIN
  SELECT s.id, s.status, s.total, s.used, s.held_tokens INTO v_session
  FROM sessions s WHERE s.id = p_session AND s.project_id = p_project FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint;
    RETURN;
  END IF;
  v_reserved := CASE WHEN v_session.held_tokens = 0 THEN 0 ELSE sss_reserved(v_session.id, p_now) END;
  IF NOT (v_session.status = ANY (p_allowed)) THEN
    RETURN QUERY SELECT 'status'::text, v_session.status, v_session.total, v_session.used, v_reserved;
    RETURN;
  END IF;
  IF v_session.used + v_reserved + p_tokens > v_session.total THEN
    RETURN QUERY SELECT 'exhausted'::text, v_session.status, v_session.total, v_session.used, v_reserved;
    RETURN;
  END IF;
  INSERT INTO reservations (id, project_id, session_id, tokens, status, charged, source, metadata, expires_at, created_at)
  VALUES (p_id, p_project, p_session, p_tokens, 'held', ARRAY[p_session], p_source, p_metadata, p_expires_at, p_now);
  UPDATE sessions SET held_tokens = held_tokens + p_tokens WHERE id = p_session;
  RETURN QUERY SELECT 'granted'::text, v_session.status, v_session.total, v_session.used, v_reserved + p_tokens;
END
$$;

-- Ends a hold: to 'committed' (from 'held', or from 'expired': a commit after expiry still counts)
-- or to 'released' (from 'held'), under the row locks of the sessions it counts on, so that a commit,
-- a release, a sweep and an archive of the same hold queue and exactly one of them ends it. Returns
-- the reservation as it is afterwards with the status it had before (no row: no such reservation).
CREATE FUNCTION "sss_end_reservation"(
  p_project TEXT, p_id TEXT, p_to TEXT, p_now TIMESTAMPTZ, p_reason TEXT, p_request_hash TEXT, p_usage_record_id TEXT
) RETURNS TABLE (
  id TEXT, session_id TEXT, tokens INTEGER, status TEXT, source TEXT, metadata JSONB, expires_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ, resolved_at TIMESTAMPTZ, release_reason TEXT, commit_request_hash TEXT, usage_record_id TEXT,
  previous_status TEXT
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_charged TEXT[];
  v_current RECORD;
BEGIN
  SELECT r.charged INTO v_charged FROM reservations r WHERE r.id = p_id AND r.project_id = p_project;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM 1 FROM sessions s WHERE s.id = ANY (v_charged) ORDER BY s.id FOR UPDATE;
  SELECT r.status, r.tokens, r.charged INTO v_current FROM reservations r WHERE r.id = p_id;
  IF v_current.status = 'held' OR (p_to = 'committed' AND v_current.status = 'expired') THEN
    UPDATE reservations r SET status = p_to, resolved_at = p_now,
      release_reason = CASE WHEN p_to = 'released' THEN p_reason END,
      commit_request_hash = p_request_hash, usage_record_id = p_usage_record_id
    WHERE r.id = p_id;
    IF v_current.status = 'held' THEN
      UPDATE sessions s SET held_tokens = s.held_tokens - v_current.tokens WHERE s.id = ANY (v_current.charged);
    END IF;
  END IF;
  RETURN QUERY SELECT r.id, r.session_id, r.tokens, r.status, r.source, r.metadata, r.expires_at, r.created_at,
    r.resolved_at, r.release_reason, r.commit_request_hash, r.usage_record_id, v_current.status
  FROM reservations r WHERE r.id = p_id;
END
$$;
