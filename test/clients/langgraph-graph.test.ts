// A real LangGraph StateGraph checkpointed by SessionStateSaver, against the real app listening on a
// loopback port: what a LangGraph user relies on (state, continuation, interrupts resumed by another
// process, history, replay and forks, two threads apart) plus what the service adds (budgets and
// threshold events). Nodes are plain functions: no model is called.
import type { UsageMetadata } from '@langchain/core/messages';
import { INTERRUPT, emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { Annotation, Command, END, START, StateGraph, interrupt, type LangGraphRunnableConfig, type StateSnapshot } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { SessionStateSaver, type SessionStateSaverOptions } from '@session-state/langgraph';
import { useTestApp } from '../helpers/app.js';
import { thresholdEventsOf } from '../helpers/events.js';

const State = Annotation.Root({
  items: Annotation<string[]>({ reducer: (left, right) => left.concat(right), default: () => [] }),
});
type StateValue = typeof State.State;

/**
 * plan → (work the first time, wrap once the thread has worked) → END. The conditional edge reads
 * the list channel, so it only takes `wrap` when the stored state came back.
 */
function researchGraph(checkpointer: SessionStateSaver) {
  return new StateGraph(State)
    .addNode('plan', () => ({ items: ['plan'] }))
    .addNode('work', () => ({ items: ['work'] }))
    .addNode('wrap', () => ({ items: ['wrap'] }))
    .addEdge(START, 'plan')
    .addConditionalEdges('plan', (state: StateValue) => (state.items.includes('work') ? 'wrap' : 'work'), ['work', 'wrap'])
    .addEdge('work', END)
    .addEdge('wrap', END)
    .compile({ checkpointer });
}

/** draft → review (asks a human with interrupt()) → publish when approved, revise when not. */
function reviewGraph(checkpointer: SessionStateSaver) {
  return new StateGraph(State)
    .addNode('draft', () => ({ items: ['draft'] }))
    .addNode('review', () => {
      const approved = interrupt<{ question: string }, boolean>({ question: 'publish the draft?' });
      return { items: [approved ? 'approved' : 'rejected'] };
    })
    .addNode('publish', () => ({ items: ['publish'] }))
    .addNode('revise', () => ({ items: ['revise'] }))
    .addEdge(START, 'draft')
    .addEdge('draft', 'review')
    .addConditionalEdges('review', (state: StateValue) => (state.items.at(-1) === 'approved' ? 'publish' : 'revise'), ['publish', 'revise'])
    .addEdge('publish', END)
    .addEdge('revise', END)
    .compile({ checkpointer });
}

const t = useTestApp({ listen: true });

async function newProject() {
  const project = await t.newProject();
  const saver = (options: Partial<SessionStateSaverOptions> = {}) =>
    new SessionStateSaver({ baseUrl: t.baseUrl, apiKey: project.apiKey, ...options });
  return { ...project, saver };
}

interface ApiSession {
  session_id: string;
  status: string;
  checkpoints_count: number;
  token_budget: { total: number; used: number; available: number; position_percent: number };
}

async function sessionsOfThread(auth: Record<string, string>, threadId: string): Promise<ApiSession[]> {
  const res = await t.http
    .get('/v1/sessions')
    .query({ task_id: `langgraph:${threadId}` })
    .set(auth)
    .expect(200);
  return res.body.data;
}

async function onlySessionOf(auth: Record<string, string>, threadId: string): Promise<ApiSession> {
  const sessions = await sessionsOfThread(auth, threadId);
  expect(sessions).toHaveLength(1);
  return sessions[0]!;
}

/** The LangGraph checkpoints (not the pending writes) stored in a session, oldest first. */
async function storedCheckpoints(auth: Record<string, string>, sessionId: string) {
  const res = await t.http.get(`/v1/sessions/${sessionId}/checkpoints`).query({ limit: 200 }).set(auth).expect(200);
  expect(res.body.next_cursor).toBeNull();
  const snapshots = (res.body.data as { context_snapshot: Record<string, unknown> }[]).map((c) => c.context_snapshot);
  return snapshots
    .filter((s) => s.langgraph === 'checkpoint')
    .map((s) => ({ checkpoint_id: s.checkpoint_id as string, step: s.step as number, source: s.source as string }))
    .reverse();
}

async function historyOf(graph: { getStateHistory: (config: LangGraphRunnableConfig) => AsyncIterableIterator<StateSnapshot> }, threadId: string) {
  const history: StateSnapshot[] = [];
  for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: threadId } })) history.push(snapshot);
  return history;
}

const checkpointIdOf = (snapshot: StateSnapshot): string => snapshot.config.configurable!.checkpoint_id as string;

describe('a LangGraph StateGraph checkpointed by SessionStateSaver', () => {
  it('runs a graph on a thread and stores its state in the thread session, one checkpoint per step', async () => {
    const { auth, saver } = await newProject();
    const graph = researchGraph(saver());
    const config = { configurable: { thread_id: 'research-1' } };

    const result = await graph.invoke({ items: ['ask'] }, config);
    expect(result.items).toEqual(['ask', 'plan', 'work']);

    const state = await graph.getState(config);
    expect(state.values).toEqual({ items: ['ask', 'plan', 'work'] });
    expect(state.next).toEqual([]);

    const session = await onlySessionOf(auth, 'research-1');
    expect(session.status).toBe('active');
    // input (-1), start (0), plan (1), work (2): one stored checkpoint each, the last one the state's.
    const stored = await storedCheckpoints(auth, session.session_id);
    expect(stored.map((c) => [c.source, c.step])).toEqual([
      ['input', -1],
      ['loop', 0],
      ['loop', 1],
      ['loop', 2],
    ]);
    expect(stored.at(-1)!.checkpoint_id).toBe(checkpointIdOf(state));
    // The session counts the pending writes of each step too.
    expect(session.checkpoints_count).toBeGreaterThan(stored.length);
  });

  it('continues a thread from its stored state on the next invoke', async () => {
    const { auth, saver } = await newProject();
    const config = { configurable: { thread_id: 'research-2' } };
    await researchGraph(saver()).invoke({ items: ['ask'] }, config);

    // Another saver and graph: nothing carried over in memory, only what the service stores.
    const graph = researchGraph(saver());
    const result = await graph.invoke({ items: ['again'] }, config);
    // The earlier items are kept, and the conditional edge took `wrap` because `work` was stored.
    expect(result.items).toEqual(['ask', 'plan', 'work', 'again', 'plan', 'wrap']);
    expect((await graph.getState(config)).values.items).toEqual(result.items);

    const session = await onlySessionOf(auth, 'research-2');
    const stored = await storedCheckpoints(auth, session.session_id);
    expect(stored.map((c) => c.step)).toEqual([-1, 0, 1, 2, 3, 4, 5, 6]);
  });

  it('resumes a run interrupted by interrupt() from a new saver, as a new process would', async () => {
    const { saver } = await newProject();
    const config = { configurable: { thread_id: 'review-1' } };

    const first = await reviewGraph(saver()).invoke({ items: ['topic'] }, config);
    expect(first.items).toEqual(['topic', 'draft']);
    expect((first as { __interrupt__?: unknown }).__interrupt__).toEqual([expect.objectContaining({ value: { question: 'publish the draft?' } })]);

    const graph = reviewGraph(saver());
    const waiting = await graph.getState(config);
    expect(waiting.next).toEqual(['review']);
    expect(waiting.values.items).toEqual(['topic', 'draft']);
    expect(waiting.tasks[0]!.interrupts).toEqual([expect.objectContaining({ value: { question: 'publish the draft?' } })]);

    const resumed = await graph.invoke(new Command({ resume: true }), config);
    expect(resumed.items).toEqual(['topic', 'draft', 'approved', 'publish']);
    const done = await graph.getState(config);
    expect(done.next).toEqual([]);
    expect(done.values.items).toEqual(['topic', 'draft', 'approved', 'publish']);
  });

  it('resumes a run stopped by interruptBefore when invoked with null from a new saver', async () => {
    const { saver } = await newProject();
    const config = { configurable: { thread_id: 'gate-1' } };
    const gated = (checkpointer: SessionStateSaver) =>
      new StateGraph(State)
        .addNode('plan', () => ({ items: ['plan'] }))
        .addNode('act', () => ({ items: ['act'] }))
        .addEdge(START, 'plan')
        .addEdge('plan', 'act')
        .addEdge('act', END)
        .compile({ checkpointer, interruptBefore: ['act'] });

    expect((await gated(saver()).invoke({ items: ['go'] }, config)).items).toEqual(['go', 'plan']);
    const graph = gated(saver());
    expect((await graph.getState(config)).next).toEqual(['act']);
    expect((await graph.invoke(null, config)).items).toEqual(['go', 'plan', 'act']);
    expect((await graph.getState(config)).next).toEqual([]);
  });

  it('lists the history newest first, replays from an old checkpoint and forks with updateState', async () => {
    const { saver } = await newProject();
    const threadId = 'history-1';
    const graph = researchGraph(saver());
    await graph.invoke({ items: ['ask'] }, { configurable: { thread_id: threadId } });
    await graph.invoke({ items: ['again'] }, { configurable: { thread_id: threadId } });

    const history = await historyOf(researchGraph(saver()), threadId);
    expect(history.map((s) => s.metadata?.step)).toEqual([6, 5, 4, 3, 2, 1, 0, -1]);
    expect(history[0]!.values.items).toEqual(['ask', 'plan', 'work', 'again', 'plan', 'wrap']);
    expect(history.at(-1)!.values).toEqual({ items: [] });
    // Each snapshot's parent is the next older one.
    for (let i = 0; i < history.length - 1; i += 1) {
      expect(history[i]!.parentConfig?.configurable?.checkpoint_id).toBe(checkpointIdOf(history[i + 1]!));
    }

    // The checkpoint after the first run's `plan`, about to run `work`.
    const afterPlan = history.find((s) => s.metadata?.step === 1)!;
    expect(afterPlan.next).toEqual(['work']);
    expect(afterPlan.values.items).toEqual(['ask', 'plan']);

    // Replay from it, with a new saver: `work` runs again on a new branch of the thread.
    const replayGraph = researchGraph(saver());
    const replayed = await replayGraph.invoke(null, { configurable: { thread_id: threadId, checkpoint_id: checkpointIdOf(afterPlan) } });
    expect(replayed.items).toEqual(['ask', 'plan', 'work']);
    const latest = await replayGraph.getState({ configurable: { thread_id: threadId } });
    expect(latest.values.items).toEqual(['ask', 'plan', 'work']);
    // LangGraph branches the replay off with a `fork` checkpoint of the old state.
    const branch = await historyOf(replayGraph, threadId);
    expect(checkpointIdOf(branch[0]!)).toBe(checkpointIdOf(latest));
    const forkPoint = branch.find((s) => checkpointIdOf(s) === latest.parentConfig?.configurable?.checkpoint_id)!;
    expect(forkPoint.metadata?.source).toBe('fork');
    expect(forkPoint.values.items).toEqual(['ask', 'plan']);
    expect(forkPoint.parentConfig?.configurable?.checkpoint_id).toBe(checkpointIdOf(afterPlan));

    // Fork it: edit the old state as if `plan` had written more, then run on from the fork.
    const forkConfig = await replayGraph.updateState(afterPlan.config, { items: ['edited'] }, 'plan');
    expect(forkConfig.configurable?.checkpoint_id).not.toBe(checkpointIdOf(afterPlan));
    const forked = await replayGraph.invoke(null, forkConfig);
    expect(forked.items).toEqual(['ask', 'plan', 'edited', 'work']);
    expect((await replayGraph.getState({ configurable: { thread_id: threadId } })).values.items).toEqual(forked.items);

    // The old checkpoints stay as they were: the original run is still in the history.
    const after = await historyOf(replayGraph, threadId);
    expect(after.length).toBeGreaterThan(history.length);
    const original = after.find((s) => checkpointIdOf(s) === checkpointIdOf(history[0]!))!;
    expect(original.values.items).toEqual(['ask', 'plan', 'work', 'again', 'plan', 'wrap']);
  });

  it('gives the thread a token budget: usage reported from a node crosses 75% and emits the event', async () => {
    const { auth, saver } = await newProject();
    const checkpointer = saver({ session: { token_budget: { total: 1000 } } });
    const crossings: number[][] = [];
    // A node standing in for a model call: it reports the call's usage_metadata for its thread.
    const graph = new StateGraph(State)
      .addNode('model', async (state: StateValue, config: LangGraphRunnableConfig) => {
        const usage: UsageMetadata = { input_tokens: 300, output_tokens: 100, total_tokens: 400 };
        const result = await checkpointer.recordUsage(String(config.configurable!.thread_id), usage);
        crossings.push(result.crossed);
        return { items: [`used:${result.token_budget.used}`] };
      })
      .addEdge(START, 'model')
      .addEdge('model', END)
      .compile({ checkpointer });
    const config = { configurable: { thread_id: 'budget-1' } };

    expect((await graph.invoke({ items: [] }, config)).items).toEqual(['used:400']);
    expect((await graph.invoke({ items: [] }, config)).items).toEqual(['used:400', 'used:800']);
    expect(crossings).toEqual([[], [75]]);

    const session = await onlySessionOf(auth, 'budget-1');
    expect(session.token_budget).toEqual({ total: 1000, used: 800, reserved: 0, available: 200, position_percent: 80 });
    const budget = await t.http.get(`/v1/sessions/${session.session_id}/budget`).set(auth).expect(200);
    expect(budget.body.token_budget).toMatchObject({ used: 800, available: 200 });
    const events = await thresholdEventsOf(t.db, session.session_id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ threshold: 75, task_id: 'langgraph:budget-1', used: 800, total: 1000 });
  });

  it('keeps two threads of one graph apart', async () => {
    const { auth, saver } = await newProject();
    const graph = researchGraph(saver());
    const a = { configurable: { thread_id: 'thread-a' } };
    const b = { configurable: { thread_id: 'thread-b' } };

    await Promise.all([graph.invoke({ items: ['a1'] }, a), graph.invoke({ items: ['b1'] }, b)]);
    await graph.invoke({ items: ['a2'] }, a);

    expect((await graph.getState(a)).values.items).toEqual(['a1', 'plan', 'work', 'a2', 'plan', 'wrap']);
    expect((await graph.getState(b)).values.items).toEqual(['b1', 'plan', 'work']);
    expect((await historyOf(graph, 'thread-b')).map((s) => s.metadata?.step)).toEqual([2, 1, 0, -1]);

    const sessionA = await onlySessionOf(auth, 'thread-a');
    const sessionB = await onlySessionOf(auth, 'thread-b');
    expect(sessionA.session_id).not.toBe(sessionB.session_id);
    expect((await storedCheckpoints(auth, sessionB.session_id)).map((c) => c.step)).toEqual([-1, 0, 1, 2]);
  });
});

// LangGraph (durability "async", its default) does not wait for a checkpoint's put before running the
// step after it, so the pending writes of a checkpoint (an interrupt, a task's output) can reach the
// service before the checkpoint itself. They must still be the checkpoint's pending writes.
describe('SessionStateSaver with writes stored before their checkpoint', () => {
  const checkpointOf = (values: Record<string, unknown>, versions: Record<string, number>): Checkpoint => ({
    ...emptyCheckpoint(),
    id: uuid6(-1),
    channel_values: values,
    channel_versions: versions,
  });

  it('returns writes that reached the service before their checkpoint as its pending writes', async () => {
    const { saver, auth } = await newProject();
    const checkpointer = saver();
    const thread = { configurable: { thread_id: 'early-1', checkpoint_ns: '' } };
    const first = checkpointOf({ items: ['a'] }, { items: 1 });
    const firstConfig = await checkpointer.put(thread, first, { source: 'loop', step: 0, parents: {} }, { items: 1 });

    const second = checkpointOf({ items: ['a', 'b'] }, { items: 2 });
    const secondConfig = { configurable: { ...firstConfig.configurable, checkpoint_id: second.id } };
    // As LangGraph does: the writes of `second` are sent while its put is still chained behind others.
    const early = checkpointer.putWrites(secondConfig, [[INTERRUPT, [{ id: 'i1', value: { question: 'ok?' } }]]], 'task-1');
    await early;
    await checkpointer.put(firstConfig, second, { source: 'loop', step: 1, parents: {} }, { items: 2 });
    await checkpointer.putWrites(secondConfig, [['items', ['late']]], 'task-2');

    // Read back by a new saver, which only has what the service stores.
    const tuple = await saver().getTuple(thread);
    expect(tuple?.checkpoint.id).toBe(second.id);
    expect(tuple?.pendingWrites).toEqual(
      expect.arrayContaining([
        ['task-1', INTERRUPT, [{ id: 'i1', value: { question: 'ok?' } }]],
        ['task-2', 'items', ['late']],
      ]),
    );
    expect(tuple?.pendingWrites).toHaveLength(2);
    const listed = [];
    for await (const item of saver().list(thread, { limit: 1 })) listed.push(item);
    expect(listed[0]?.pendingWrites).toHaveLength(2);

    // The checkpoint's record names the writes stored before it.
    const session = await onlySessionOf(auth, 'early-1');
    const res = await t.http.get(`/v1/sessions/${session.session_id}/checkpoints`).set(auth).expect(200);
    const phases = (res.body.data as { checkpoint_id: string; phase: string; context_snapshot: Record<string, unknown> }[]).reverse();
    expect(phases.map((c) => c.phase)).toEqual([
      `langgraph:checkpoint:${first.id}`,
      `langgraph:writes:${second.id}`,
      `langgraph:checkpoint:${second.id}`,
      `langgraph:writes:${second.id}`,
    ]);
    expect(phases[2]!.context_snapshot.early_writes).toEqual([phases[1]!.checkpoint_id]);
  });

  it('stores writes sent while their checkpoint is being put after it', async () => {
    const { saver, auth } = await newProject();
    const checkpointer = saver();
    const thread = { configurable: { thread_id: 'early-2', checkpoint_ns: '' } };
    const checkpoint = checkpointOf({ items: ['a'] }, { items: 1 });
    const config = { configurable: { ...thread.configurable, checkpoint_id: checkpoint.id } };

    const put = checkpointer.put(thread, checkpoint, { source: 'loop', step: 0, parents: {} }, { items: 1 });
    const writes = checkpointer.putWrites(config, [['items', ['b']]], 'task-1');
    await Promise.all([put, writes]);

    const session = await onlySessionOf(auth, 'early-2');
    const res = await t.http.get(`/v1/sessions/${session.session_id}/checkpoints`).set(auth).expect(200);
    expect((res.body.data as { phase: string }[]).map((c) => c.phase).reverse()).toEqual([
      `langgraph:checkpoint:${checkpoint.id}`,
      `langgraph:writes:${checkpoint.id}`,
    ]);
    expect((await saver().getTuple(thread))?.pendingWrites).toEqual([['task-1', 'items', ['b']]]);
  });
});
