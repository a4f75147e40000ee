import { expect } from 'vitest';
import type { TestApp } from './app.js';

type Auth = Record<string, string>;
type Body = Record<string, unknown>;

/** Small factories that make resources through the API, failing the test when they cannot. */
export function apiFactories(t: TestApp, auth: Auth) {
  // Response bodies stay supertest's untyped JSON: the assertions say what matters.
  async function created(url: string, body: Body, status = 201) {
    const res = await t.http.post(url).set(auth).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return res.body;
  }
  return {
    session: (body: Body = {}) => created('/v1/sessions', { task_id: 'SPEC-001', ...body }),
    checkpoint: (sessionId: string, body: Body = {}) => created(`/v1/sessions/${sessionId}/checkpoints`, { phase: 'phase-1', ...body }),
    fork: (sessionId: string, body: Body = {}) => created(`/v1/sessions/${sessionId}/fork`, body),
    recover: (sessionId: string) => created(`/v1/sessions/${sessionId}/emergency-recovery`, {}),
    usage: (sessionId: string, tokens: number) => created(`/v1/sessions/${sessionId}/usage`, { tokens }, 200),
    get: async (url: string) => {
      const res = await t.http.get(url).set(auth);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    },
  };
}
