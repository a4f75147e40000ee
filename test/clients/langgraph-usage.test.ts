// SessionStateUsageHandler in a real LangGraph StateGraph whose node calls a fake chat model of
// @langchain/core that reports usage_metadata (no network), against the real app listening on a
// loopback port: every model call's tokens land on the thread's session by themselves, and after
// an emergency recovery the thread carries on in the new session under the same thread_id.
import { AIMessage, HumanMessage, type BaseMessage, type UsageMetadata } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { createClient, type Session, type SessionStateClient, type UsageResult } from '@session-state/client';
import { SessionStateSaver, SessionStateUsageHandler, recoverThread, type RecordedModelCall } from '@session-state/langgraph';
import { useTestApp } from '../helpers/app.js';
import { thresholdEventsOf } from '../helpers/events.js';

/** A chat model of @langchain/core's testing kit whose answers carry `usage_metadata` and a model name. */
class MeteredFakeChatModel extends FakeListChatModel {
  constructor(
    responses: string[],
    private readonly usage: UsageMetadata | undefined,
  ) {
    super({ responses });
  }

  override _formatGeneration(text: string) {
    const message = new AIMessage({
      content: text,
      ...(this.usage ? { usage_metadata: this.usage } : {}),
      response_metadata: { model_name: 'fake-model-1' },
    });
    return { message, text };
  }
}

const usage = (input: number, output: number): UsageMetadata => ({ input_tokens: input, output_tokens: output, total_tokens: input + output });

/** START → agent (one model call on the conversation) → END, on the messages channel. */
function agentGraph(checkpointer: SessionStateSaver, model: FakeListChatModel) {
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addEdge(START, 'agent')
    .addEdge('agent', END)
    .compile({ checkpointer });
}

const t = useTestApp({ listen: true });

async function newProject() {
  const project = await t.newProject();
  const client = createClient({ baseUrl: t.baseUrl, apiKey: project.apiKey, retries: 0 });
  const saver = new SessionStateSaver({ client, session: { token_budget: { total: 10_000 } } });
  return { ...project, client, saver };
}

async function sessionsOfThread(client: SessionStateClient, threadId: string): Promise<Session[]> {
  return client.sessions.list({ task_id: `langgraph:${threadId}` }).toArray();
}

const texts = (messages: BaseMessage[]) => messages.map((m) => m.content);

describe('SessionStateUsageHandler', () => {
  it("records each model call's usage_metadata on the thread's session, with the node and the model", async () => {
    const { client, saver } = await newProject();
    const graph = agentGraph(saver, new MeteredFakeChatModel(['first answer', 'second answer'], usage(1_200, 300)));
    const recorded: { result: UsageResult; call: RecordedModelCall }[] = [];
    const handler = new SessionStateUsageHandler({ saver, onUsage: (result, call) => void recorded.push({ result, call }) });
    const config = { configurable: { thread_id: 'ticket-42' }, callbacks: [handler] };

    await graph.invoke({ messages: [new HumanMessage('plan the work')] }, config);
    const state = await graph.invoke({ messages: [new HumanMessage('go on')] }, config);

    expect(texts(state.messages)).toEqual(['plan the work', 'first answer', 'go on', 'second answer']);
    // Recorded before invoke returned: the handler is awaited.
    const [session] = await sessionsOfThread(client, 'ticket-42');
    expect(session!.token_budget).toMatchObject({ total: 10_000, used: 3_000 });
    const entries = await client.sessions.usage.list(session!.session_id).toArray();
    expect(entries.map(({ tokens, input_tokens, output_tokens, model, source }) => ({ tokens, input_tokens, output_tokens, model, source }))).toEqual(
      [
        { tokens: 1_500, input_tokens: 1_200, output_tokens: 300, model: 'fake-model-1', source: 'agent' },
        { tokens: 1_500, input_tokens: 1_200, output_tokens: 300, model: 'fake-model-1', source: 'agent' },
      ],
    );
    expect(recorded.map(({ result, call }) => [call.threadId, result.session_id, result.token_budget.used])).toEqual([
      ['ticket-42', session!.session_id, 1_500],
      ['ticket-42', session!.session_id, 3_000],
    ]);
    expect(new Set(recorded.map(({ call }) => call.runId)).size).toBe(2);
  });

  it('keeps the usage of two threads apart and crosses a threshold from the model calls alone', async () => {
    const { client, saver } = await newProject();
    const graph = agentGraph(saver, new MeteredFakeChatModel(['a', 'b', 'c'], usage(3_000, 1_000)));
    const handler = new SessionStateUsageHandler({ saver });

    await graph.invoke({ messages: [new HumanMessage('x')] }, { configurable: { thread_id: 'one' }, callbacks: [handler] });
    await graph.invoke({ messages: [new HumanMessage('y')] }, { configurable: { thread_id: 'one' }, callbacks: [handler] });
    await graph.invoke({ messages: [new HumanMessage('z')] }, { configurable: { thread_id: 'two' }, callbacks: [handler] });

    const [one] = await sessionsOfThread(client, 'one');
    const [two] = await sessionsOfThread(client, 'two');
    expect([one!.token_budget.used, two!.token_budget.used]).toEqual([8_000, 4_000]);
    expect((await thresholdEventsOf(t.db, one!.session_id)).map((event) => event.data.threshold)).toEqual([75]);
    expect(await thresholdEventsOf(t.db, two!.session_id)).toEqual([]);
  });

  it('counts a call once when its report is sent again with the same run id', async () => {
    const { client, saver } = await newProject();
    const handler = new SessionStateUsageHandler({ saver, threadId: 'replayed' });
    const output = { generations: [[{ text: 'hi', message: new AIMessage({ content: 'hi', usage_metadata: usage(10, 5) }) }]] };

    await handler.handleLLMEnd(output, 'run-1');
    await handler.handleLLMEnd(output, 'run-1');
    await handler.handleLLMEnd(output, 'run-2');

    const [session] = await sessionsOfThread(client, 'replayed');
    expect(session!.token_budget.used).toBe(30);
    expect(await client.sessions.usage.list(session!.session_id).toArray()).toHaveLength(2);
  });

  it('sends usage_metadata as provider "langchain": cache reads and writes are counted and priced as such', async () => {
    const project = await t.newProject();
    const client = createClient({ baseUrl: t.baseUrl, apiKey: project.apiKey, retries: 0 });
    const saver = new SessionStateSaver({ client, session: { token_budget: { total: 10_000 }, count: 'billable_input_output' } });
    const results: UsageResult[] = [];
    const handler = new SessionStateUsageHandler({ saver, threadId: 'cached', onUsage: (result) => void results.push(result) });
    const metadata: UsageMetadata = {
      input_tokens: 8000,
      output_tokens: 100,
      total_tokens: 8100,
      input_token_details: { cache_read: 7000, cache_creation: 500 },
      output_token_details: { reasoning: 40 },
    };
    const message = new AIMessage({ content: 'hi', usage_metadata: metadata, response_metadata: { model_name: 'claude-sonnet-4-5-20250929' } });

    const output = { generations: [[{ text: 'hi', message }]] };
    await handler.handleLLMEnd(output, 'run-cached');
    // The same object through recordUsage, as a node would send it.
    const direct = await saver.recordUsage('cached', metadata, { model: 'claude-sonnet-4-5-20250929' });

    const expected = { input: 500, cache_read: 7000, cache_write: 500, cache_write_1h: 0, output: 100, reasoning: 40 };
    // Cache reads left out of a billable_input_output budget: 500 + 500 + 100 counted, not 8100.
    // 500×3 + 7000×0.3 + 500×3.75 + 100×15 = 6975 µ$ (Sonnet 4.5).
    for (const result of [results[0]!, direct]) expect(result).toMatchObject({ tokens: 1100, classes: expected, cost_usd: '0.006975' });
    const [session] = await sessionsOfThread(client, 'cached');
    expect(session).toMatchObject({ token_budget: { used: 2200 }, cost: { used_usd: '0.01395' } });
    const entries = await client.sessions.usage.list(session!.session_id).toArray();
    expect(entries.map((entry) => [entry.provider, entry.classes, entry.model])).toEqual([
      ['langchain', expected, 'claude-sonnet-4-5-20250929'],
      ['langchain', expected, 'claude-sonnet-4-5-20250929'],
    ]);
  });

  it('records a model called outside a graph on the thread it was given, and nothing for a model that reports no usage', async () => {
    const { client, saver } = await newProject();
    const metered = new MeteredFakeChatModel(['ok'], usage(40, 2));
    const unmetered = new MeteredFakeChatModel(['ok'], undefined);

    await metered.invoke([new HumanMessage('hello')], { callbacks: [new SessionStateUsageHandler({ saver, threadId: 'scripted' })] });
    await unmetered.invoke([new HumanMessage('hello')], { callbacks: [new SessionStateUsageHandler({ saver, threadId: 'silent' })] });

    const [scripted] = await sessionsOfThread(client, 'scripted');
    expect(scripted!.token_budget.used).toBe(42);
    expect(await sessionsOfThread(client, 'silent')).toEqual([]);
  });

  it('fails the model call with raiseError when the call has no thread, and records nothing', async () => {
    const { client, saver } = await newProject();
    const model = new MeteredFakeChatModel(['ok'], usage(40, 2));

    const failed = await model
      .invoke([new HumanMessage('hello')], { callbacks: [new SessionStateUsageHandler({ saver, raiseError: true })] })
      .catch((e: unknown) => e);

    expect(String(failed)).toContain('has no thread');
    expect(await client.sessions.list().toArray()).toEqual([]);
  });
});

describe('recoverThread', () => {
  it('carries a thread on after emergency recovery: same thread_id, its state, a new session with a fresh budget', async () => {
    const { client, saver } = await newProject();
    const graph = agentGraph(saver, new MeteredFakeChatModel(['one', 'two', 'three'], usage(4_000, 500)));
    const recoveries: string[] = [];
    // Recover as soon as a model call takes the session past the emergency threshold (85%).
    const handler = new SessionStateUsageHandler({
      saver,
      onUsage: async (result, call) => {
        if (result.status !== 'emergency_recovery') return;
        const recovery = await recoverThread(client, saver, call.threadId);
        recoveries.push(recovery.new_session.session_id);
      },
    });
    const config = { configurable: { thread_id: 'long-task' }, callbacks: [handler] };

    await graph.invoke({ messages: [new HumanMessage('start')] }, config);
    const [first] = await sessionsOfThread(client, 'long-task');
    await graph.invoke({ messages: [new HumanMessage('more')] }, config);
    expect(recoveries).toHaveLength(1);
    const state = await graph.invoke({ messages: [new HumanMessage('finish')] }, config);

    expect(texts(state.messages)).toEqual(['start', 'one', 'more', 'two', 'finish', 'three']);
    const sessions = await sessionsOfThread(client, 'long-task');
    expect(sessions.map((s) => [s.session_id, s.status])).toEqual([
      [recoveries[0], 'active'],
      [first!.session_id, 'archived'],
    ]);
    expect(sessions[0]).toMatchObject({ recovered_from_session_id: first!.session_id, token_budget: { total: 10_000, used: 4_500 } });
    expect(sessions[1]!.token_budget.used).toBe(9_000);
    expect((await saver.sessionOf('long-task'))?.session_id).toBe(recoveries[0]);
    // The whole history is still the thread's: the checkpoints before the recovery are in the old session.
    const history = [];
    for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: 'long-task' } })) history.push(snapshot);
    expect(history.map((snapshot) => [snapshot.metadata?.step, texts(snapshot.values.messages ?? [])])).toEqual([
      [7, ['start', 'one', 'more', 'two', 'finish', 'three']],
      [6, ['start', 'one', 'more', 'two', 'finish']],
      [5, ['start', 'one', 'more', 'two']],
      [4, ['start', 'one', 'more', 'two']],
      [3, ['start', 'one', 'more']],
      [2, ['start', 'one']],
      [1, ['start', 'one']],
      [0, ['start']],
      [-1, []],
    ]);
    // The step whose model call set off the recovery (4) and the later ones went to the new session;
    // the checkpoint of the input before it (3) is put while that call runs (LangGraph's "async"
    // durability), so it lands on whichever session was live when it arrived. None is in both.
    const phases = async (id: string) =>
      (await client.checkpoints.list(id).toArray()).map((c) => c.phase).filter((p) => p.startsWith('langgraph:checkpoint:'));
    const [inNew, inOld] = [await phases(recoveries[0]!), await phases(first!.session_id)];
    expect(inNew.length).toBeGreaterThanOrEqual(4);
    expect(inOld.length).toBeGreaterThanOrEqual(4);
    expect(inNew.length + inOld.length).toBe(9);
    expect(inNew.filter((phase) => inOld.includes(phase))).toEqual([]);
  });

  it('refuses a thread that has no live session', async () => {
    const { client, saver } = await newProject();
    await expect(recoverThread(client, saver, 'never-ran')).rejects.toThrow('thread never-ran has no live session');
  });
});
