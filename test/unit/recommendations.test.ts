import { describe, expect, it } from 'vitest';
import { LEVELS } from '../../src/domain/budget.js';
import { REFERENCE_METRICS, REFERENCE_TARGETS, recommendationsFor } from '../../src/domain/recommendations.js';

const MINUTE = 60;

function usage(used: number, total = 10_000) {
  return recommendationsFor({ used, total, ageSeconds: 0 })[0];
}

function duration(ageSeconds: number) {
  return recommendationsFor({ used: 0, total: 10_000, ageSeconds })[1];
}

describe('recommendationsFor', () => {
  it('returns one entry per metric, token usage first', () => {
    expect(recommendationsFor({ used: 6200, total: 10_000, ageSeconds: 45 * MINUTE })).toEqual([
      { metric: 'token_usage_percent', value: 62, target: '<60%', action: 'Enable progressive disclosure' },
      { metric: 'session_duration', value: 45, target: '<30 min', action: 'Create checkpoint every 10 min' },
    ]);
  });

  it.each([
    { used: 0, value: 0, action: 'Normal operation' },
    { used: 5999, value: 59.99, action: 'Normal operation' },
    { used: 6000, value: 60, action: 'Enable progressive disclosure' },
    { used: 7499, value: 74.99, action: 'Enable progressive disclosure' },
    { used: 7500, value: 75, action: 'Defer non-critical context' },
    { used: 8499, value: 84.99, action: 'Defer non-critical context' },
    { used: 8500, value: 85, action: 'Emergency recovery' },
    { used: 15_000, value: 150, action: 'Emergency recovery' },
  ])('at $value% token usage recommends "$action"', ({ used, value, action }) => {
    expect(usage(used)).toEqual({ metric: 'token_usage_percent', value, target: '<60%', action });
  });

  it('uses the exact position, not the rounded one, to pick the row (59.999% is normal)', () => {
    expect(usage(59_999, 100_000)).toMatchObject({ value: 60, action: 'Normal operation' });
  });

  it.each([
    { ageSeconds: 0, value: 0, action: 'Normal' },
    { ageSeconds: 30 * MINUTE - 1, value: 29.98, action: 'Normal' },
    { ageSeconds: 30 * MINUTE, value: 30, action: 'Create checkpoint every 10 min' },
    { ageSeconds: 45 * MINUTE, value: 45, action: 'Create checkpoint every 10 min' },
    { ageSeconds: 60 * MINUTE - 1, value: 59.98, action: 'Create checkpoint every 10 min' },
    { ageSeconds: 60 * MINUTE, value: 60, action: 'Consider new session' },
    { ageSeconds: 5 * 60 * MINUTE, value: 300, action: 'Consider new session' },
    { ageSeconds: -5, value: 0, action: 'Normal' }, // clock skew never yields a negative age
  ])('after $ageSeconds s ($value min) recommends "$action"', ({ ageSeconds, value, action }) => {
    expect(duration(ageSeconds)).toEqual({ metric: 'session_duration', value, target: '<30 min', action });
  });
});

describe('REFERENCE_METRICS', () => {
  it('holds the ten rows of the reference table', () => {
    expect(REFERENCE_METRICS.map((row) => [row.metric, row.target, row.action])).toEqual([
      ['token_usage_percent', '<60%', 'Normal operation'],
      ['token_usage_percent', '60-75%', 'Enable progressive disclosure'],
      ['token_usage_percent', '75-85%', 'Defer non-critical context'],
      ['token_usage_percent', '>85%', 'Emergency recovery'],
      ['session_duration', '<30 min', 'Normal'],
      ['session_duration', '30-60 min', 'Create checkpoint every 10 min'],
      ['session_duration', '>60 min', 'Consider new session'],
      ['handoff_success_percent', '>99%', 'Monitor for issues'],
      ['recovery_time', '<5 min', 'Acceptable'],
      ['recovery_time', '>10 min', 'Optimize checkpoint strategy'],
    ]);
  });

  it('has a token-usage row for every budget level', () => {
    const levels = REFERENCE_METRICS.flatMap((row) => (row.metric === 'token_usage_percent' ? [row.level] : []));
    expect(levels).toEqual(LEVELS.map((l) => l.level));
  });

  it('takes each target from the first row of its metric', () => {
    for (const [metric, target] of Object.entries(REFERENCE_TARGETS)) {
      expect(REFERENCE_METRICS.find((row) => row.metric === metric)?.target).toBe(target);
    }
  });
});
