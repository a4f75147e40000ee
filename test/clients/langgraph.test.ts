// LangGraph's own conformance suite for checkpointers, run against SessionStateSaver talking HTTP to
// the real app (on PGlite, or PostgreSQL with TEST_DATABASE_URL). The suite is written for test
// runner globals, which this project's vitest config leaves off, so they are handed to it here.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deltaChannelHistoryTests, validate } from '@langchain/langgraph-checkpoint-validation';
import type { CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { SessionStateSaver } from '@session-state/langgraph';
import { createTestApp, type TestApp } from '../helpers/app.js';

Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it });

let testApp: TestApp;
let baseUrl: string;

const initializer: CheckpointSaverTestInitializer<SessionStateSaver> = {
  checkpointerName: 'SessionStateSaver',
  beforeAllTimeout: 60_000,
  async beforeAll() {
    testApp = await createTestApp();
    baseUrl = await testApp.app.listen({ port: 0, host: '127.0.0.1' });
  },
  async afterAll() {
    await testApp.close();
  },
  // A project per checkpointer: what one instance stored, no other instance can read.
  async createCheckpointer() {
    const { apiKey } = await testApp.newProject();
    return new SessionStateSaver({ baseUrl, apiKey });
  },
};

validate(initializer);
// Opt-in in LangGraph's suite (getDeltaChannelHistory is beta); LangGraph's own savers run it too.
deltaChannelHistoryTests(initializer);
