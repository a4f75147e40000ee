// The budget rules live twice by design: in SQL (the usage statement, which moves `used`) and in
// TypeScript (PATCH of a session's `token_budget.total`, which moves `total`). One table of cases
// runs through both, and both must agree on everything the rules decide: the thresholds crossed
// (exact and inclusive), the level, the budget figures, the status (emergency_recovery at 85%), the
// context deferred at 75%, and the session.threshold_crossed events with their data.
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { thresholdEventsOf } from '../helpers/events.js';

const t = useTestApp();

interface Case {
  name: string;
  thresholds?: number[];
  /** Where the update ends: the same position on both paths. */
  total: number;
  usedBefore: number;
  usedAfter: number;
}

/**
 * The usage path goes from usedBefore to usedAfter of `total`. The PATCH path holds usedAfter and
 * moves the total from one that puts it on the same side of every threshold as usedBefore of
 * `total` (checked below) to `total`.
 */
const CASES: Case[] = [
  { name: 'below every threshold', total: 1000, usedBefore: 100, usedAfter: 599 },
  { name: 'to one token short of 75%', total: 1000, usedBefore: 500, usedAfter: 749 },
  { name: 'to exactly 75% (inclusive)', total: 1000, usedBefore: 500, usedAfter: 750 },
  { name: 'across 75% and 85% at once', total: 1000, usedBefore: 740, usedAfter: 850 },
  { name: 'from 75% to just below 85%', total: 1000, usedBefore: 750, usedAfter: 849 },
  { name: 'to exactly 85%', total: 1000, usedBefore: 800, usedAfter: 850 },
  { name: 'past 100%', total: 1000, usedBefore: 900, usedAfter: 1200 },
  { name: 'custom thresholds, several at once', thresholds: [10, 50, 60, 90, 100], total: 200, usedBefore: 10, usedAfter: 200 },
  { name: 'custom thresholds, one crossed', thresholds: [33, 66], total: 3, usedBefore: 1, usedAfter: 2 },
  // 30,000,001 of 40,000,001 is a hair below 75%.
  { name: 'a hair below 75% of a large total', total: 40_000_001, usedBefore: 29_999_000, usedAfter: 30_000_001 },
  { name: 'exactly 75% of a large total', total: 40_000_000, usedBefore: 29_000_000, usedAfter: 30_000_000 },
];

const DEFAULT_THRESHOLDS = [75, 85];
const atOrAbove = (used: number, total: number, percent: number) => BigInt(used) * 100n >= BigInt(percent) * BigInt(total);

/** A total for usedAfter on the same side of every threshold as usedBefore of `total`. */
function patchStartTotal({ total, usedBefore, usedAfter, thresholds = DEFAULT_THRESHOLDS }: Case): number {
  const start = Number((BigInt(usedAfter) * BigInt(total)) / BigInt(usedBefore));
  for (const percent of [...thresholds, 60, 75, 85]) {
    expect(atOrAbove(usedAfter, start, percent), `case: ${percent}% on the same side before the PATCH`).toBe(atOrAbove(usedBefore, total, percent));
  }
  return start;
}

async function session(auth: Record<string, string>, total: number, thresholds: number[] | undefined) {
  const res = await t.http
    .post('/v1/sessions')
    .set(auth)
    .send({
      task_id: 'budget-rules',
      token_budget: { total },
      context: { plan: 'p', temp_context: 'scratch' },
      ...(thresholds ? { thresholds } : {}),
    });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.session_id as string;
}

/** One usage update of `tokens` (at most 10,000,000, as one update may count). */
async function use(auth: Record<string, string>, id: string, tokens: number) {
  const res = await t.http.post(`/v1/sessions/${id}/usage`).set(auth).send({ tokens });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Brings a session to `used` in updates of at most 10,000,000 (each threshold is still crossed once). */
async function useUpTo(auth: Record<string, string>, id: string, used: number) {
  for (let left = used; left > 0; left -= 10_000_000) await use(auth, id, Math.min(left, 10_000_000));
}

/** What the rules decided about a session, from the API and its events. */
async function outcome(auth: Record<string, string>, id: string, eventsBefore: number) {
  const read = (await t.http.get(`/v1/sessions/${id}`).set(auth)).body;
  const events = await thresholdEventsOf(t.db, id);
  return {
    token_budget: read.token_budget,
    level: read.level,
    status: read.status,
    context: read.context,
    deferred_context: read.deferred_context,
    // Only those of the update under test; without the ids, which differ between the two sessions.
    events: events.slice(eventsBefore).map(({ data }) => Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'session_id'))),
  };
}

describe.each(CASES)('the budget rules, $name', (rule) => {
  it('decide the same through a usage update (SQL) and through a PATCH of the total (TypeScript)', async () => {
    const { auth } = await t.newProject();

    // The usage path: usedBefore, then the update under test.
    const viaUsage = await session(auth, rule.total, rule.thresholds);
    await useUpTo(auth, viaUsage, rule.usedBefore);
    const usageEventsBefore = (await thresholdEventsOf(t.db, viaUsage)).length;
    const usage = await use(auth, viaUsage, rule.usedAfter - rule.usedBefore);

    // The PATCH path: usedAfter on a total that puts it where usedBefore was, then the total moves.
    const viaPatch = await session(auth, patchStartTotal(rule), rule.thresholds);
    await useUpTo(auth, viaPatch, rule.usedAfter);
    const patchEventsBefore = (await thresholdEventsOf(t.db, viaPatch)).length;
    expect(patchEventsBefore, 'the same crossings on the way to the starting position').toBe(usageEventsBefore);
    const patched = await t.http
      .patch(`/v1/sessions/${viaPatch}`)
      .set(auth)
      .send({ token_budget: { total: rule.total } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);

    const fromUsage = await outcome(auth, viaUsage, usageEventsBefore);
    const fromPatch = await outcome(auth, viaPatch, patchEventsBefore);
    expect(fromPatch).toEqual(fromUsage);
    // The usage answer names the same crossings, and the figures are the case's.
    expect(usage.crossed).toEqual(fromUsage.events.map((event) => event.threshold));
    const thresholds = rule.thresholds ?? DEFAULT_THRESHOLDS;
    expect(usage.crossed).toEqual(
      thresholds.filter((percent) => !atOrAbove(rule.usedBefore, rule.total, percent) && atOrAbove(rule.usedAfter, rule.total, percent)),
    );
    expect(fromUsage.token_budget).toMatchObject({ total: rule.total, used: rule.usedAfter, available: rule.total - rule.usedAfter });
  });
});
