import { describe, expect, it } from 'vitest';
import { crossedThresholds } from '../../src/domain/budget.js';
import { applyCrossingPolicies, thresholdCrossedData } from '../../src/domain/policies.js';
import type { SessionStatus } from '../../src/domain/session.js';

const session = (status: SessionStatus = 'active') => ({
  context: { temp_context: 't', plan: 'p' },
  deferredContext: { old: 1 },
  status,
  nonCriticalKeys: ['temp_context'],
});

describe('crossedThresholds when the total changes', () => {
  it.each([
    [{ used: 700, total: 1000 }, { used: 700, total: 800 }, [75, 85]],
    [{ used: 700, total: 1000 }, { used: 700, total: 900 }, [75]],
    [{ used: 800, total: 1000 }, { used: 800, total: 2000 }, []],
  ])('from %j to %j crosses %j', (before, after, crossed) => {
    expect(crossedThresholds([75, 85], before, after)).toEqual(crossed);
  });
});

describe('applyCrossingPolicies', () => {
  it.each([
    ['below 75', 100, 'active', { temp_context: 't', plan: 'p' }, { old: 1 }, 'active'],
    ['across 75', 760, 'active', { plan: 'p' }, { old: 1, temp_context: 't' }, 'active'],
    ['across 85', 900, 'active', { plan: 'p' }, { old: 1, temp_context: 't' }, 'emergency_recovery'],
    ['across 85 when resumed', 900, 'resumed', { plan: 'p' }, { old: 1, temp_context: 't' }, 'emergency_recovery'],
    ['across 85 when recovering', 900, 'recovering', { plan: 'p' }, { old: 1, temp_context: 't' }, 'emergency_recovery'],
  ] as const)('%s', (_name, usedAfter, status, context, deferred, statusAfter) => {
    const result = applyCrossingPolicies(session(status), { used: 0, total: 1000 }, { used: usedAfter, total: 1000 });
    expect(result).toEqual({ context, deferredContext: deferred, status: statusAfter });
  });

  it('does nothing to a session already past both thresholds', () => {
    const result = applyCrossingPolicies(session(), { used: 900, total: 1000 }, { used: 950, total: 1000 });
    expect(result).toEqual({ context: { temp_context: 't', plan: 'p' }, deferredContext: { old: 1 }, status: 'active' });
  });
});

describe('thresholdCrossedData', () => {
  it('describes the position at the crossing', () => {
    expect(thresholdCrossedData({ id: 'sess_1', taskId: 'T', total: 1000, used: 875 }, 85)).toEqual({
      session_id: 'sess_1',
      task_id: 'T',
      threshold: 85,
      level: 'emergency',
      position_percent: 87.5,
      used: 875,
      available: 125,
      total: 1000,
    });
  });
});
