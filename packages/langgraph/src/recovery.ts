// Emergency recovery of a LangGraph thread's session. The service archives the session and opens a
// new one with the same task_id (`langgraph:<thread_id>`), a fresh budget and the context; the
// saver finds the new session by that task_id and reads the thread's checkpoints on through the
// one it was recovered from, so the thread carries on under the same thread_id.
import type { EmergencyRecovery, SessionStateClient } from '@session-state/client';
import type { SessionStateSaver } from './session-state-saver.js';

/**
 * Runs emergency recovery on the thread's live session. The answer's `new_session.session_id` is
 * the session the thread goes on in: invoke the graph with the same `thread_id` as before.
 * Throws when the thread has no live session.
 */
export async function recoverThread(
  client: Pick<SessionStateClient, 'sessions'>,
  saver: Pick<SessionStateSaver, 'sessionOf'>,
  threadId: string,
): Promise<EmergencyRecovery> {
  const session = await saver.sessionOf(threadId);
  if (!session) throw new Error(`recoverThread: thread ${threadId} has no live session to recover`);
  return client.sessions.emergencyRecovery(session.session_id);
}
