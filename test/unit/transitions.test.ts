import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import { SESSION_STATUSES, type SessionStatus } from '../../src/domain/session.js';
import { TRANSITIONS, allowedFrom, nextStatus, type SessionAction } from '../../src/domain/transitions.js';

const LIVE = ['active', 'resumed', 'recovering', 'emergency_recovery'] as const satisfies readonly SessionStatus[];

/** '—' marks a refused move. Written out by hand so that a change to TRANSITIONS has to change this too. */
type Row = Record<SessionStatus, SessionStatus | '—'>;
const EXPECTED: Record<SessionAction, Row> = {
  record_usage: { active: 'active', resumed: 'resumed', recovering: 'recovering', emergency_recovery: 'emergency_recovery', archived: '—' },
  update: { active: 'active', resumed: 'resumed', recovering: 'recovering', emergency_recovery: 'emergency_recovery', archived: '—' },
  checkpoint: { active: 'active', resumed: 'resumed', recovering: 'recovering', emergency_recovery: 'emergency_recovery', archived: '—' },
  merge_into: { active: 'active', resumed: 'resumed', recovering: 'recovering', emergency_recovery: 'emergency_recovery', archived: '—' },
  resume: { active: 'resumed', resumed: 'resumed', recovering: 'resumed', emergency_recovery: '—', archived: '—' },
  restore: { active: 'active', resumed: 'active', recovering: 'active', emergency_recovery: 'active', archived: '—' },
  archive: { active: 'archived', resumed: 'archived', recovering: 'archived', emergency_recovery: 'archived', archived: '—' },
  emergency_recover: { active: 'archived', resumed: 'archived', recovering: 'archived', emergency_recovery: 'archived', archived: '—' },
  merge_fork: { active: 'archived', resumed: 'archived', recovering: 'archived', emergency_recovery: 'archived', archived: '—' },
  cross_emergency_threshold: {
    active: 'emergency_recovery',
    resumed: 'emergency_recovery',
    recovering: 'emergency_recovery',
    emergency_recovery: 'emergency_recovery',
    archived: '—',
  },
};

const ACTIONS = Object.keys(EXPECTED) as SessionAction[];
const pairs = ACTIONS.flatMap((action) => SESSION_STATUSES.map((status) => ({ action, status, expected: EXPECTED[action][status] })));

/** The AppError `fn` throws (failing the test when it throws nothing or something else). */
function appErrorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError, but nothing was thrown');
}

describe('the session state machine', () => {
  it('covers exactly the actions and statuses this test lists', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ACTIONS].sort());
    expect([...SESSION_STATUSES].sort()).toEqual([...LIVE, 'archived'].sort());
  });

  it.each(pairs.filter((pair) => pair.expected !== '—'))('$action from $status leads to $expected', ({ action, status, expected }) => {
    expect(nextStatus(action, { id: 'sess_1', status })).toBe(expected);
  });

  it.each(pairs.filter((pair) => pair.status === 'archived'))('refuses $action on an archived session with 409 SESSION_ARCHIVED', ({ action }) => {
    const error = appErrorOf(() => nextStatus(action, { id: 'sess_1', status: 'archived' }));
    expect(error.code).toBe('SESSION_ARCHIVED');
    expect(error.status).toBe(409);
    expect(error.detail).toContain('sess_1');
    expect(error.detail).toContain('archived');
  });

  it.each(pairs.filter((pair) => pair.expected === '—' && pair.status !== 'archived'))(
    'refuses $action from $status with 409 INVALID_TRANSITION',
    ({ action, status }) => {
      const error = appErrorOf(() => nextStatus(action, { id: 'sess_1', status }));
      expect(error.code).toBe('INVALID_TRANSITION');
      expect(error.status).toBe(409);
      expect(error.detail).toContain(`in status ${status}`);
    },
  );

  it('tells a client resuming a session in emergency_recovery to run emergency recovery or restore a checkpoint', () => {
    const error = appErrorOf(() => nextStatus('resume', { id: 'sess_9', status: 'emergency_recovery' }));
    expect(error.code).toBe('INVALID_TRANSITION');
    expect(error.detail).toBe(
      'cannot resume session sess_9 in status emergency_recovery; run POST /v1/sessions/{id}/emergency-recovery, or restore a checkpoint',
    );
  });

  it('makes archived terminal: no action is allowed from it, and only archive-like actions lead to it', () => {
    for (const action of ACTIONS) {
      expect(allowedFrom(action)).not.toContain('archived');
      expect(TRANSITIONS[action].archived).toBeUndefined();
    }
    const leadingToArchived = ACTIONS.filter((action) => Object.values(TRANSITIONS[action]).includes('archived'));
    expect(leadingToArchived.sort()).toEqual(['archive', 'emergency_recover', 'merge_fork']);
  });

  it('allows usage in every status but archived', () => {
    expect([...allowedFrom('record_usage')].sort()).toEqual([...LIVE].sort());
  });

  it('lists in allowedFrom exactly the statuses nextStatus accepts', () => {
    for (const action of ACTIONS) {
      const accepted = SESSION_STATUSES.filter((status) => EXPECTED[action][status] !== '—');
      expect([...allowedFrom(action)].sort(), action).toEqual([...accepted].sort());
    }
  });
});
