/**
 * LangGraph.js checkpointer backed by the Session State Service: `<package>/langgraph`.
 *
 * ```ts
 * import { SessionStateSaver } from 'session-state-service/langgraph';
 * const checkpointer = new SessionStateSaver({ baseUrl: 'http://localhost:3000', apiKey: process.env.SSS_API_KEY! });
 * const graph = workflow.compile({ checkpointer });
 * ```
 */
export { SessionStateSaver, type SessionStateSaverOptions } from './session-state-saver.js';
export type { NewSessionFields, UsageReport } from './thread-store.js';
