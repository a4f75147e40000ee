import { describe, expect, it } from 'vitest';
import type { Level } from '../../src/domain/budget.js';
import { REFERENCE_METRICS } from '../../src/domain/recommendations.js';
import {
  DURATION_BOUNDS_MINUTES,
  HANDOFF_SUCCESS_TARGET_PERCENT,
  RECOVERY_ACTION_ABOVE_MINUTES,
  RECOVERY_TARGET_MINUTES,
  handoffSuccessTarget,
  percentOf,
  recoveryTimeTarget,
  sessionDurationTarget,
  tokenUsageTarget,
} from '../../src/modules/summary/targets.js';

const MINUTE = 60;

const levels = (counts: Partial<Record<Level, number>>): Record<Level, number> => ({
  normal: 0,
  progressive_disclosure: 0,
  defer_non_critical: 0,
  emergency: 0,
  ...counts,
});

describe('the numbers behind the targets', () => {
  it('agree with the rows of the reference table', () => {
    const cells = REFERENCE_METRICS.map((row) => `${row.metric} ${row.target}`);
    expect(cells).toContain(`handoff_success_percent >${HANDOFF_SUCCESS_TARGET_PERCENT}%`);
    expect(cells).toContain(`recovery_time <${RECOVERY_TARGET_MINUTES} min`);
    expect(cells).toContain(`recovery_time >${RECOVERY_ACTION_ABOVE_MINUTES} min`);
    expect(DURATION_BOUNDS_MINUTES).toEqual([30, 60]);
  });
});

describe('tokenUsageTarget', () => {
  it.each([
    { byLevel: {}, max: null, actual: null, missed: false, action: 'Normal operation', detail: 'no live sessions' },
    {
      byLevel: { normal: 3 },
      max: 59.99,
      actual: 59.99,
      missed: false,
      action: 'Normal operation',
      detail: '0 of 3 live sessions at 60% of their budget or more (progressive_disclosure: 0, defer_non_critical: 0, emergency: 0)',
    },
    {
      byLevel: { normal: 1, progressive_disclosure: 1 },
      max: 60,
      actual: 60,
      missed: true,
      action: 'Enable progressive disclosure',
      detail: '1 of 2 live sessions at 60% of their budget or more (progressive_disclosure: 1, defer_non_critical: 0, emergency: 0)',
    },
    {
      byLevel: { progressive_disclosure: 2, defer_non_critical: 1 },
      max: 80,
      actual: 80,
      missed: true,
      action: 'Defer non-critical context',
      detail: '3 of 3 live sessions at 60% of their budget or more (progressive_disclosure: 2, defer_non_critical: 1, emergency: 0)',
    },
    {
      byLevel: { normal: 5, emergency: 1 },
      max: 120,
      actual: 120,
      missed: true,
      action: 'Emergency recovery',
      detail: '1 of 6 live sessions at 60% of their budget or more (progressive_disclosure: 0, defer_non_critical: 0, emergency: 1)',
    },
    // The level decides, not the rounded position: 59.999% shows as 60 but is normal.
    {
      byLevel: { normal: 1 },
      max: 60,
      actual: 60,
      missed: false,
      action: 'Normal operation',
      detail: '0 of 1 live session at 60% of their budget or more (progressive_disclosure: 0, defer_non_critical: 0, emergency: 0)',
    },
  ])('with $byLevel live: missed $missed, "$action"', ({ byLevel, max, actual, missed, action, detail }) => {
    expect(tokenUsageTarget({ liveByLevel: levels(byLevel), maxPositionPercent: max })).toEqual({
      metric: 'token_usage_percent',
      target: '<60%',
      actual,
      unit: 'percent',
      missed,
      action,
      detail,
    });
  });
});

describe('sessionDurationTarget', () => {
  it.each([
    { live: 0, maxAgeSeconds: null, atLeast: [0, 0], actual: null, missed: false, action: 'Normal' },
    { live: 2, maxAgeSeconds: 30 * MINUTE - 1, atLeast: [0, 0], actual: 29.98, missed: false, action: 'Normal' },
    { live: 2, maxAgeSeconds: 30 * MINUTE, atLeast: [1, 0], actual: 30, missed: true, action: 'Create checkpoint every 10 min' },
    { live: 2, maxAgeSeconds: 60 * MINUTE - 1, atLeast: [2, 0], actual: 59.98, missed: true, action: 'Create checkpoint every 10 min' },
    { live: 2, maxAgeSeconds: 60 * MINUTE, atLeast: [2, 1], actual: 60, missed: true, action: 'Consider new session' },
    { live: 1, maxAgeSeconds: 600 * MINUTE, atLeast: [1, 1], actual: 600, missed: true, action: 'Consider new session' },
    { live: 1, maxAgeSeconds: -3, atLeast: [0, 0], actual: 0, missed: false, action: 'Normal' },
  ])(
    'oldest live session at $maxAgeSeconds s: $actual min, missed $missed, "$action"',
    ({ live, maxAgeSeconds, atLeast, actual, missed, action }) => {
      expect(sessionDurationTarget({ live, maxAgeSeconds, atLeast })).toMatchObject({
        metric: 'session_duration',
        target: '<30 min',
        actual,
        unit: 'minutes',
        missed,
        action,
      });
    },
  );

  it('counts the live sessions past each band in its detail', () => {
    expect(sessionDurationTarget({ live: 5, maxAgeSeconds: 90 * MINUTE, atLeast: [3, 1] }).detail).toBe(
      'of 5 live sessions, 3 running 30 min or more, 1 running 60 min or more',
    );
  });
});

describe('handoffSuccessTarget', () => {
  it.each([
    { accepted: 0, rejected: 0, actual: null, missed: false, detail: 'no decided handoffs' },
    { accepted: 1, rejected: 0, actual: 100, missed: false, detail: '1 of 1 decided handoff accepted, 0 rejected' },
    { accepted: 991, rejected: 9, actual: 99.1, missed: false, detail: '991 of 1000 decided handoffs accepted, 9 rejected' },
    // Exactly 99% is not above 99%.
    { accepted: 99, rejected: 1, actual: 99, missed: true, detail: '99 of 100 decided handoffs accepted, 1 rejected' },
    // 99.004% rounds to 99 but is above the target: the comparison is exact.
    { accepted: 24_751, rejected: 249, actual: 99, missed: false, detail: '24751 of 25000 decided handoffs accepted, 249 rejected' },
    { accepted: 2, rejected: 1, actual: 66.67, missed: true, detail: '2 of 3 decided handoffs accepted, 1 rejected' },
    { accepted: 0, rejected: 4, actual: 0, missed: true, detail: '0 of 4 decided handoffs accepted, 4 rejected' },
  ])('$accepted accepted, $rejected rejected: $actual%, missed $missed', ({ accepted, rejected, actual, missed, detail }) => {
    expect(handoffSuccessTarget({ accepted, rejected })).toEqual({
      metric: 'handoff_success_percent',
      target: '>99%',
      actual,
      unit: 'percent',
      missed,
      action: 'Monitor for issues',
      detail,
    });
  });
});

describe('recoveryTimeTarget', () => {
  const watch = 'Watch: above the <5 min target; above 10 min: Optimize checkpoint strategy';
  it.each([
    { count: 0, p95: null, actual: null, missed: false, action: 'Acceptable', detail: 'no measured recoveries' },
    { count: 1, p95: 0, actual: 0, missed: false, action: 'Acceptable', detail: 'p95 of 1 recovery' },
    { count: 3, p95: 5 * MINUTE - 0.001, actual: 5, missed: false, action: 'Acceptable', detail: 'p95 of 3 recoveries' },
    { count: 3, p95: 5 * MINUTE, actual: 5, missed: true, action: watch, detail: 'p95 of 3 recoveries' },
    { count: 3, p95: 10 * MINUTE, actual: 10, missed: true, action: watch, detail: 'p95 of 3 recoveries' },
    { count: 3, p95: 10 * MINUTE + 0.001, actual: 10, missed: true, action: 'Optimize checkpoint strategy', detail: 'p95 of 3 recoveries' },
    { count: 2, p95: 696, actual: 11.6, missed: true, action: 'Optimize checkpoint strategy', detail: 'p95 of 2 recoveries' },
  ])('p95 of $p95 s over $count: missed $missed, "$action"', ({ count, p95, actual, missed, action, detail }) => {
    expect(recoveryTimeTarget({ count, p95Seconds: p95 })).toEqual({
      metric: 'recovery_time',
      target: '<5 min',
      actual,
      unit: 'minutes',
      missed,
      action,
      detail,
    });
  });
});

describe('percentOf', () => {
  it.each([
    { part: 0, whole: 0, percent: null },
    { part: 0, whole: 5, percent: 0 },
    { part: 1, whole: 3, percent: 33.33 },
    { part: 2, whole: 3, percent: 66.67 },
    { part: 1, whole: 8, percent: 12.5 },
    { part: 3, whole: 3, percent: 100 },
  ])('$part of $whole is $percent%', ({ part, whole, percent }) => {
    expect(percentOf(part, whole)).toBe(percent);
  });
});
