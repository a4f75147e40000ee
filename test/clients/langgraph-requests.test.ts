// How few requests SessionStateSaver makes, and that nothing is lost for it: a step's pending writes
// travel in the request of the put that follows them, writes no put follows (a failed task's step)
// are stored on their own, and the session it keeps for a thread is looked up again when another
// process deletes the thread. Against the real app on a loopback port.
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { describe, expect, it } from 'vitest';
import { SessionStateSaver } from '@session-state/langgraph';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp({ listen: true });

const State = Annotation.Root({
  items: Annotation<string[]>({ reducer: (left, right) => left.concat(right), default: () => [] }),
});

interface Sent {
  method: string;
  path: string;
}

async function newProject() {
  const project = await t.newProject();
  const sent: Sent[] = [];
  const saver = (counting = false) =>
    new SessionStateSaver({
      baseUrl: t.baseUrl,
      apiKey: project.apiKey,
      fetch: (input, init) => {
        const request = input instanceof Request ? input : new Request(input, init);
        if (counting) sent.push({ method: request.method, path: new URL(request.url).pathname });
        return globalThis.fetch(input, init);
      },
    });
  return { ...project, saver, sent };
}

async function checkpointsOf(auth: { authorization: string }, threadId: string) {
  const sessions = await t.http
    .get('/v1/sessions')
    .query({ task_id: `langgraph:${threadId}` })
    .set(auth)
    .expect(200);
  const session = (sessions.body.data as { session_id: string; status: string }[]).find((s) => s.status !== 'archived')!;
  const res = await t.http.get(`/v1/sessions/${session.session_id}/checkpoints`).query({ limit: 200 }).set(auth).expect(200);
  return (res.body.data as { phase: string }[]).map((c) => c.phase).reverse();
}

const checkpointOf = (values: Record<string, unknown>, versions: Record<string, number>): Checkpoint => ({
  ...emptyCheckpoint(),
  id: uuid6(-1),
  channel_values: values,
  channel_versions: versions,
});

describe('SessionStateSaver requests', () => {
  it("sends each step's pending writes in the request of the put that follows them", async () => {
    const { saver, sent, auth } = await newProject();
    const checkpointer = saver(true);
    let puts = 0;
    const put = checkpointer.put.bind(checkpointer);
    checkpointer.put = (...args) => {
      puts += 1;
      return put(...args);
    };
    const graph = new StateGraph(State)
      .addNode('plan', () => ({ items: ['plan'] }))
      .addNode('act', () => ({ items: ['act'] }))
      .addNode('reflect', () => ({ items: ['reflect'] }))
      .addEdge(START, 'plan')
      .addEdge('plan', 'act')
      .addEdge('act', 'reflect')
      .addEdge('reflect', END)
      .compile({ checkpointer });
    const thread = { configurable: { thread_id: 'few-requests' } };
    await graph.invoke({ items: ['ask'] }, thread); // creates the thread's session

    sent.length = 0;
    puts = 0;
    await graph.invoke({ items: ['again'] }, thread);

    const writes = sent.filter((request) => request.method === 'POST');
    expect(puts).toBe(5); // the input, then one checkpoint per node and the final one
    // One request per put, carrying the writes of the tasks around it; none for writes alone.
    expect(writes).toHaveLength(puts);
    expect(writes.every((request) => /^\/v1\/sessions\/[^/]+\/checkpoints(\/batch)?$/.test(request.path))).toBe(true);
    // Before the run, getTuple: the session's look-up and the newest record.
    expect(sent.filter((request) => request.method === 'GET')).toHaveLength(2);

    // Everything is stored: a new saver (another process) reads the whole state back, and each task's writes are there.
    const state = await new StateGraph(State)
      .addNode('plan', () => ({}))
      .addEdge(START, 'plan')
      .compile({ checkpointer: saver() })
      .getState(thread);
    expect(state.values).toEqual({ items: ['ask', 'plan', 'act', 'reflect', 'again', 'plan', 'act', 'reflect'] });
    const phases = await checkpointsOf(auth, 'few-requests');
    expect(phases.filter((phase) => phase.startsWith('langgraph:checkpoint:'))).toHaveLength(10);
    // The input's and each node's writes, per invoke.
    expect(phases.filter((phase) => phase.startsWith('langgraph:writes:'))).toHaveLength(8);
  });

  it('stores the writes of a task that succeeded when another task of its step fails: the resumed run does not run it again', async () => {
    const { saver } = await newProject();
    const runs = { steady: 0, flaky: 0 };
    const graph = (checkpointer: SessionStateSaver) =>
      new StateGraph(State)
        .addNode('steady', () => {
          runs.steady += 1;
          return { items: ['steady'] };
        })
        .addNode('flaky', async () => {
          runs.flaky += 1;
          // Fails once, after `steady` has finished and its writes were sent.
          await new Promise((resolve) => setImmediate(resolve));
          if (runs.flaky === 1) throw new Error('flaky failed');
          return { items: ['flaky'] };
        })
        .addEdge(START, 'steady')
        .addEdge(START, 'flaky')
        .addEdge('steady', END)
        .addEdge('flaky', END)
        .compile({ checkpointer });
    const thread = { configurable: { thread_id: 'failed-step' } };

    await expect(graph(saver()).invoke({ items: ['go'] }, thread)).rejects.toThrow('flaky failed');
    // Resumed by another process: only the failed task runs again.
    const resumed = await graph(saver()).invoke(null, thread);
    expect(runs).toEqual({ steady: 1, flaky: 2 });
    expect([...resumed.items].sort()).toEqual(['flaky', 'go', 'steady']);
  });

  it('writes alone (no put follows) are stored once putWrites resolves', async () => {
    const { saver } = await newProject();
    const checkpointer = saver();
    const thread = { configurable: { thread_id: 'alone', checkpoint_ns: '' } };
    const checkpoint = checkpointOf({ items: ['a'] }, { items: 1 });
    const config = await checkpointer.put(thread, checkpoint, { source: 'loop', step: 0, parents: {} }, { items: 1 });
    await checkpointer.putWrites(config, [['items', ['b']]], 'task-1');
    expect((await saver().getTuple(thread))?.pendingWrites).toEqual([['task-1', 'items', ['b']]]);
  });

  it('looks the session up again when another process deleted the thread', async () => {
    const { saver, auth } = await newProject();
    const writer = saver();
    const thread = { configurable: { thread_id: 'deleted-elsewhere', checkpoint_ns: '' } };
    const first = checkpointOf({ items: ['a'] }, { items: 1 });
    await writer.put(thread, first, { source: 'loop', step: 0, parents: {} }, { items: 1 });
    expect((await writer.getTuple(thread))?.checkpoint.id).toBe(first.id);

    await saver().deleteThread('deleted-elsewhere');
    expect(await writer.getTuple(thread)).toBeUndefined();

    // Its next put goes to a new session, not to the archived one it knew.
    const again = checkpointOf({ items: ['b'] }, { items: 1 });
    await writer.put(thread, again, { source: 'loop', step: 0, parents: {} }, { items: 1 });
    const sessions = await t.http.get('/v1/sessions').query({ task_id: 'langgraph:deleted-elsewhere' }).set(auth).expect(200);
    expect((sessions.body.data as { status: string }[]).map((s) => s.status)).toEqual(['active', 'archived']);
    expect((await saver().getTuple(thread))?.checkpoint.id).toBe(again.id);
  });
});
