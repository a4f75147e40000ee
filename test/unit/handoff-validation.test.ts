import { describe, expect, it } from 'vitest';
import {
  HANDOFF_MIN_AVAILABLE_TOKENS,
  KNOWN_AGENTS_LISTED,
  canAgentsCooperate,
  handoffValidationErrors,
  type HandoffCandidate,
} from '../../src/modules/handoffs/validation.js';

/** A candidate that passes every check; each case changes one thing. */
const valid: HandoffCandidate = {
  fromAgent: 'spec-builder',
  toAgent: 'tdd-implementer',
  receiver: null,
  unregistered: null,
  session: { id: 'sess_1', status: 'active', availableTokens: 125_000 },
};
const withSession = (session: Partial<HandoffCandidate['session']>): HandoffCandidate => ({ ...valid, session: { ...valid.session, ...session } });
const pathsOf = (candidate: HandoffCandidate) => handoffValidationErrors(candidate).map((error) => error.path);

describe('canAgentsCooperate', () => {
  it.each([
    { case: 'an unregistered receiver accepts anyone', receiver: null, expected: true },
    { case: '"*" accepts anyone', receiver: { acceptsHandoffsFrom: ['*'] }, expected: true },
    { case: 'a listed sender is accepted', receiver: { acceptsHandoffsFrom: ['architect', 'spec-builder'] }, expected: true },
    { case: 'an unlisted sender is refused', receiver: { acceptsHandoffsFrom: ['architect'] }, expected: false },
    { case: 'an empty list refuses everyone', receiver: { acceptsHandoffsFrom: [] }, expected: false },
    { case: 'names match exactly, case included', receiver: { acceptsHandoffsFrom: ['Spec-Builder'] }, expected: false },
  ])('$case', ({ receiver, expected }) => {
    expect(canAgentsCooperate('spec-builder', receiver)).toBe(expected);
  });
});

describe('handoffValidationErrors', () => {
  it('passes a live session with more than 30,000 available tokens to an agent that accepts the sender', () => {
    expect(handoffValidationErrors(valid)).toEqual([]);
    expect(handoffValidationErrors({ ...valid, receiver: { acceptsHandoffsFrom: ['spec-builder'] } })).toEqual([]);
  });

  it.each([
    { available: HANDOFF_MIN_AVAILABLE_TOKENS + 1, fails: false },
    { available: HANDOFF_MIN_AVAILABLE_TOKENS, fails: true },
    { available: 29_999, fails: true },
    { available: 0, fails: true },
    { available: -5_000, fails: true },
  ])('needs strictly more than 30,000 available tokens: $available fails = $fails', ({ available, fails }) => {
    expect(pathsOf(withSession({ availableTokens: available }))).toEqual(fails ? ['session_context.available_tokens'] : []);
  });

  it('names the available tokens and the minimum in the message', () => {
    const [error] = handoffValidationErrors(withSession({ availableTokens: 12_000 }));
    expect(error!.message).toContain('is 12000');
    expect(error!.message).toContain('more than 30000');
  });

  it('refuses a receiver that does not list the sender, naming whom it accepts', () => {
    const errors = handoffValidationErrors({ ...valid, receiver: { acceptsHandoffsFrom: ['architect', 'reviewer'] } });
    expect(errors).toEqual([
      {
        path: 'body.to_agent',
        message: 'agents cannot cooperate: "tdd-implementer" does not accept handoffs from "spec-builder" (it accepts: "architect", "reviewer")',
      },
    ]);
    expect(handoffValidationErrors({ ...valid, receiver: { acceptsHandoffsFrom: [] } })[0]!.message).toContain('(it accepts: none)');
  });

  it('refuses a handoff from an agent to itself (once, even when the agent does not list itself)', () => {
    const errors = handoffValidationErrors({ ...valid, toAgent: 'spec-builder', receiver: { acceptsHandoffsFrom: ['architect'] } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: 'body.to_agent', message: expect.stringContaining('same agent') });
  });

  it('refuses agents the project did not register, when it registered some, naming the registered ones', () => {
    const errors = handoffValidationErrors({
      ...valid,
      receiver: null,
      unregistered: { names: ['spec-builder', 'tdd-implementer'], known: ['architect', 'reviewer'] },
    });
    expect(errors).toEqual([
      {
        path: 'body.from_agent',
        message:
          '"spec-builder" is not a registered agent of this project (registered: "architect", "reviewer"); register it with PUT /v1/agents/{name}',
      },
      {
        path: 'body.to_agent',
        message:
          '"tdd-implementer" is not a registered agent of this project (registered: "architect", "reviewer"); register it with PUT /v1/agents/{name}',
      },
    ]);
    const receiverOnly = handoffValidationErrors({
      ...valid,
      receiver: { acceptsHandoffsFrom: ['*'] },
      unregistered: { names: ['spec-builder'], known: ['tdd-implementer'] },
    });
    expect(receiverOnly.map((error) => error.path)).toEqual(['body.from_agent']);
  });

  it('names an unregistered agent once when it hands off to itself', () => {
    const errors = handoffValidationErrors({ ...valid, toAgent: 'spec-builder', unregistered: { names: ['spec-builder'], known: ['architect'] } });
    expect(errors.map((error) => error.path)).toEqual(['body.from_agent', 'body.to_agent']);
    expect(errors[1]!.message).toContain('same agent');
  });

  it('says where the rest are when it lists only the first registered names', () => {
    const known = Array.from({ length: KNOWN_AGENTS_LISTED }, (_, i) => `agent-${String(i).padStart(2, '0')}`);
    const [error] = handoffValidationErrors({ ...valid, unregistered: { names: ['spec-builder'], known } });
    expect(error!.message).toContain('"agent-49", … (GET /v1/agents)');
  });

  it('refuses an archived session and accepts every live status', () => {
    expect(pathsOf(withSession({ status: 'archived' }))).toEqual(['session_context.status']);
    for (const status of ['active', 'resumed', 'recovering', 'emergency_recovery'] as const) {
      expect(pathsOf(withSession({ status }))).toEqual([]);
    }
  });

  it('reports every failed check at once, in a fixed order', () => {
    const everything: HandoffCandidate = {
      fromAgent: 'spec-builder',
      toAgent: 'tdd-implementer',
      receiver: { acceptsHandoffsFrom: ['architect'] },
      unregistered: null,
      session: { id: 'sess_1', status: 'archived', availableTokens: 1_000 },
    };
    expect(pathsOf(everything)).toEqual(['body.to_agent', 'session_context.status', 'session_context.available_tokens']);
  });
});
