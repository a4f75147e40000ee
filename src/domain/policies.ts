// What happens to a session when its position crosses the reference thresholds, in pure functions.
// The usage hot path does the same in SQL (usage.repository.ts); the API tests hold both to it.
import type { JsonObject } from '../lib/wire.js';
import {
  DEFER_AT_PERCENT,
  EMERGENCY_AT_PERCENT,
  crossedThresholds,
  deferNonCriticalContext,
  levelOf,
  tokenBudget,
  type BudgetPosition,
} from './budget.js';
import type { Session, SessionStatus } from './session.js';
import { TRANSITIONS } from './transitions.js';

export interface PolicyState {
  context: JsonObject;
  deferredContext: JsonObject;
  status: SessionStatus;
}

export function applyCrossingPolicies(
  session: Pick<Session, 'context' | 'deferredContext' | 'status' | 'nonCriticalKeys'>,
  before: BudgetPosition,
  after: BudgetPosition,
): PolicyState {
  let state: PolicyState = { context: session.context, deferredContext: session.deferredContext, status: session.status };
  const [deferCrossed, emergencyCrossed] = [DEFER_AT_PERCENT, EMERGENCY_AT_PERCENT].map(
    (percent) => crossedThresholds([percent], before, after).length > 0,
  );
  if (deferCrossed) {
    const moved = deferNonCriticalContext(state.context, state.deferredContext, session.nonCriticalKeys);
    state = { ...state, context: moved.context, deferredContext: moved.deferred };
  }
  if (emergencyCrossed) {
    state = { ...state, status: TRANSITIONS.cross_emergency_threshold[state.status] ?? state.status };
  }
  return state;
}

/** The `data` of a `session.threshold_crossed` event (the SQL hot path builds the same object). */
export function thresholdCrossedData(session: Pick<Session, 'id' | 'taskId' | 'total' | 'used'>, threshold: number): JsonObject {
  const budget = tokenBudget(session.total, session.used);
  return {
    session_id: session.id,
    task_id: session.taskId,
    threshold,
    level: levelOf(session.used, session.total),
    position_percent: budget.positionPercent,
    used: budget.used,
    available: budget.available,
    total: budget.total,
  };
}
