// The session state machine: which action may run in which status, and the status it leaves.
// Services ask `nextStatus()` (or `assertAllowed()`) before they change a session; the usage statement
// reads the same table.
import { AppError } from '../lib/errors.js';
import type { Session, SessionStatus } from './session.js';

export type SessionAction =
  | 'record_usage'
  | 'update'
  | 'checkpoint'
  | 'merge_into'
  | 'resume'
  | 'restore'
  | 'archive'
  | 'emergency_recover'
  | 'merge_fork'
  | 'cross_emergency_threshold';

const LIVE = ['active', 'resumed', 'recovering', 'emergency_recovery'] as const satisfies readonly SessionStatus[];

type Moves = Partial<Record<SessionStatus, SessionStatus>>;
const stay = (from: readonly SessionStatus[]): Moves => Object.fromEntries(from.map((status) => [status, status]));
const moveTo = (to: SessionStatus, from: readonly SessionStatus[]): Moves => Object.fromEntries(from.map((status) => [status, to]));

/** For each action, the status it leaves from every status it is allowed in; a missing entry is refused. */
export const TRANSITIONS: Readonly<Record<SessionAction, Readonly<Moves>>> = {
  record_usage: stay(LIVE),
  update: stay(LIVE),
  checkpoint: stay(LIVE),
  merge_into: stay(LIVE),
  // A session past 85% has to be recovered (or restored to a checkpoint) before it goes on.
  resume: moveTo('resumed', ['active', 'resumed', 'recovering']),
  restore: moveTo('active', LIVE),
  archive: moveTo('archived', LIVE),
  emergency_recover: moveTo('archived', LIVE),
  merge_fork: moveTo('archived', LIVE),
  cross_emergency_threshold: { ...stay(LIVE), ...moveTo('emergency_recovery', ['active', 'resumed', 'recovering']) },
};

const ACTION_PHRASES: Record<SessionAction, string> = {
  record_usage: 'record usage on',
  update: 'change',
  checkpoint: 'take a checkpoint of',
  merge_into: 'merge a fork into',
  resume: 'resume',
  restore: 'restore a checkpoint into',
  archive: 'archive',
  emergency_recover: 'run emergency recovery on',
  merge_fork: 'merge',
  cross_emergency_threshold: 'apply the emergency policy to',
};

const HINTS: Partial<Record<SessionAction, string>> = {
  resume: 'run POST /v1/sessions/{id}/emergency-recovery, or restore a checkpoint',
};

/** The statuses in which `action` is allowed. */
export const allowedFrom = (action: SessionAction): SessionStatus[] => Object.keys(TRANSITIONS[action]) as SessionStatus[];

/** What the state machine reads of a session; the successor (if any) goes into SESSION_ARCHIVED. */
export type SessionState = Pick<Session, 'id' | 'status'> & Partial<Pick<Session, 'recoveredToSessionId'>>;

/** The status `session` moves to under `action`, or the 409 that refuses it. */
export function nextStatus(action: SessionAction, session: SessionState): SessionStatus {
  const next = TRANSITIONS[action][session.status];
  if (next !== undefined) return next;
  const cannot = `cannot ${ACTION_PHRASES[action]} session ${session.id}`;
  if (session.status === 'archived') {
    const successor = session.recoveredToSessionId;
    if (successor) {
      throw new AppError('SESSION_ARCHIVED', {
        detail: `${cannot}: it was archived by emergency recovery; session ${successor} carries it on`,
        extensions: { recovered_to_session_id: successor },
      });
    }
    throw new AppError('SESSION_ARCHIVED', { detail: `${cannot}: it is archived` });
  }
  const hint = HINTS[action] ? `; ${HINTS[action]}` : '';
  throw new AppError('INVALID_TRANSITION', { detail: `${cannot} in status ${session.status}${hint}` });
}

/** Throws the 409 that refuses `action` on `session`, unless it is allowed in the session's status. */
export function assertAllowed(action: SessionAction, session: SessionState): void {
  nextStatus(action, session);
}
