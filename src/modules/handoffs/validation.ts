/**
 * The checks a handoff package must pass (reference, section 1 pattern 2), as pure functions.
 * Every failed check is reported, not just the first, so one 422 explains the whole refusal.
 */
import type { FieldError } from '../../lib/errors.js';
import { ANY_AGENT } from '../agents/agents.repository.js';
import type { SessionStatus } from '../../domain/session.js';

/** A handoff needs strictly more than this many available tokens (after deferring non-critical context). */
export const HANDOFF_MIN_AVAILABLE_TOKENS = 30_000;
/** What the package reserves for a recovery by the receiving agent, as in the reference. */
export const RECOVERY_TOKENS_RESERVED = 55_000;

/** Whom a registered receiver accepts handoffs from; null when the receiver is not registered. */
export interface ReceiverRegistration {
  acceptsHandoffsFrom: readonly string[];
}

/** How many registered names a refusal lists (a project may register many more). */
export const KNOWN_AGENTS_LISTED = 50;

export interface HandoffCandidate {
  fromAgent: string;
  toAgent: string;
  /** The receiving agent's registration, or null: an unregistered agent accepts anyone. */
  receiver: ReceiverRegistration | null;
  /**
   * When the project registered agents and `fromAgent` or `toAgent` is not one of them: the
   * registered names (up to KNOWN_AGENTS_LISTED) and which of the two are unknown. Else null.
   */
  unregistered: { names: string[]; known: string[] } | null;
  session: { id: string; status: SessionStatus; availableTokens: number };
}

/** Whether `toAgent` takes a handoff from `fromAgent`: unregistered, `*`, or `fromAgent` listed. */
export function canAgentsCooperate(fromAgent: string, receiver: ReceiverRegistration | null): boolean {
  if (receiver === null) return true;
  return receiver.acceptsHandoffsFrom.includes(ANY_AGENT) || receiver.acceptsHandoffsFrom.includes(fromAgent);
}

const acceptedList = (receiver: ReceiverRegistration): string =>
  receiver.acceptsHandoffsFrom.length === 0 ? 'none' : receiver.acceptsHandoffsFrom.map((name) => JSON.stringify(name)).join(', ');

/**
 * Every check the candidate fails, in a fixed order; empty when the handoff may be created.
 * Paths name a request field (`body.to_agent`) or the package field that fails (`session_context.*`).
 */
export function handoffValidationErrors({ fromAgent, toAgent, receiver, unregistered, session }: HandoffCandidate): FieldError[] {
  const errors: FieldError[] = [];
  for (const [field, name] of [
    ['from_agent', fromAgent],
    ['to_agent', toAgent],
  ] as const) {
    if (unregistered === null || !unregistered.names.includes(name) || (field === 'to_agent' && name === fromAgent)) continue;
    const known = unregistered.known.map((known) => JSON.stringify(known)).join(', ');
    const more = unregistered.known.length >= KNOWN_AGENTS_LISTED ? ', … (GET /v1/agents)' : '';
    errors.push({
      path: `body.${field}`,
      message: `"${name}" is not a registered agent of this project (registered: ${known}${more}); register it with PUT /v1/agents/{name}`,
    });
  }
  if (fromAgent === toAgent) {
    errors.push({ path: 'body.to_agent', message: `is the same agent as from_agent ("${fromAgent}"): a handoff goes to another agent` });
  } else if (receiver !== null && !canAgentsCooperate(fromAgent, receiver)) {
    errors.push({
      path: 'body.to_agent',
      message: `agents cannot cooperate: "${toAgent}" does not accept handoffs from "${fromAgent}" (it accepts: ${acceptedList(receiver)})`,
    });
  }
  if (session.status === 'archived') {
    errors.push({ path: 'session_context.status', message: `session ${session.id} is archived: hand off a live session (or fork this one first)` });
  }
  if (session.availableTokens <= HANDOFF_MIN_AVAILABLE_TOKENS) {
    errors.push({
      path: 'session_context.available_tokens',
      message: `is ${session.availableTokens}: a handoff needs more than ${HANDOFF_MIN_AVAILABLE_TOKENS} available tokens (after deferring non-critical context)`,
    });
  }
  return errors;
}
