// SessionStateSaver as a user of the service sees it: LangGraph threads become sessions that the
// API shows, with budgets and usage, against the real app listening on a loopback port.
import { emptyCheckpoint, uuid6, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import { describe, expect, it } from 'vitest';
import { ProblemError } from '@session-state/client';
import { SessionStateSaver } from '@session-state/langgraph';
import { useTestApp } from '../helpers/app.js';
import { thresholdEventsOf } from '../helpers/events.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const CHECKPOINT_MAX_BYTES = 64 * 1024;
const meta: CheckpointMetadata = { source: 'loop', step: 0, parents: {} };

function checkpointOf(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions };
}

const t = useTestApp({ config: { checkpointMaxBytes: CHECKPOINT_MAX_BYTES }, listen: true });

async function newSaver(options: Partial<ConstructorParameters<typeof SessionStateSaver>[0]> = {}) {
  const project = await t.newProject();
  return { saver: new SessionStateSaver({ baseUrl: t.baseUrl, apiKey: project.apiKey, ...options }), auth: project.auth };
}

async function sessionsOfThread(auth: Record<string, string>, threadId: string) {
  const res = await t.http
    .get('/v1/sessions')
    .query({ task_id: `langgraph:${threadId}` })
    .set(auth)
    .expect(200);
  return res.body.data as { session_id: string; status: string; metadata: Record<string, unknown>; checkpoints_count: number }[];
}

describe('SessionStateSaver', () => {
  it('stores a LangGraph checkpoint as a checkpoint of the thread session that the API shows', async () => {
    const { saver, auth } = await newSaver();
    const checkpoint = checkpointOf({ messages: ['hi'] }, { messages: 1 });
    await saver.put({ configurable: { thread_id: 'thread-a' } }, checkpoint, meta, { messages: 1 });

    const [session, ...others] = await sessionsOfThread(auth, 'thread-a');
    expect(others).toEqual([]);
    expect(session).toMatchObject({ status: 'active', metadata: { langgraph: { thread_id: 'thread-a' } }, checkpoints_count: 1 });
    const res = await t.http.get(`/v1/sessions/${session!.session_id}/checkpoints`).set(auth).expect(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]).toMatchObject({
      phase: `langgraph:checkpoint:${checkpoint.id}`,
      context_snapshot: {
        langgraph: 'checkpoint',
        thread_id: 'thread-a',
        checkpoint_ns: '',
        checkpoint_id: checkpoint.id,
        parent_checkpoint_id: null,
        source: 'loop',
        step: 0,
      },
    });
    expect((await saver.sessionOf('thread-a'))?.session_id).toBe(session!.session_id);
  });

  it('keeps one session per thread, however many checkpoints and writes it gets', async () => {
    const { saver, auth } = await newSaver();
    let config = { configurable: { thread_id: 'one', checkpoint_ns: '' } } as Record<string, Record<string, string>>;
    for (let step = 0; step < 3; step += 1) {
      config = (await saver.put(config, checkpointOf({}, {}), { ...meta, step }, {})) as typeof config;
      await saver.putWrites(config, [['animals', `dog-${step}`]], `task-${step}`);
    }
    await saver.put({ configurable: { thread_id: 'two' } }, checkpointOf({}, {}), meta, {});

    const one = await sessionsOfThread(auth, 'one');
    expect(one).toHaveLength(1);
    expect(one[0]!.checkpoints_count).toBe(6);
    expect(await sessionsOfThread(auth, 'two')).toHaveLength(1);
    expect(one[0]!.session_id).not.toBe((await sessionsOfThread(auth, 'two'))[0]!.session_id);
    const tuples = [];
    for await (const tuple of saver.list({ configurable: { thread_id: 'one' } })) tuples.push(tuple);
    expect(tuples.map((tuple) => tuple.metadata?.step)).toEqual([2, 1, 0]);
    expect(tuples.map((tuple) => tuple.pendingWrites)).toEqual([
      [['task-2', 'animals', 'dog-2']],
      [['task-1', 'animals', 'dog-1']],
      [['task-0', 'animals', 'dog-0']],
    ]);
  });

  it('stores an unchanged channel once and reads it back through the later checkpoint', async () => {
    const { saver, auth } = await newSaver();
    const first = checkpointOf({ messages: ['hi'], count: 1 }, { messages: 1, count: 1 });
    const c1 = await saver.put({ configurable: { thread_id: 'delta' } }, first, meta, { messages: 1, count: 1 });
    const second = checkpointOf({ messages: ['hi'], count: 2 }, { messages: 1, count: 2 });
    const c2 = await saver.put(c1, second, { ...meta, step: 1 }, { count: 2 });

    const [session] = await sessionsOfThread(auth, 'delta');
    const res = await t.http.get(`/v1/sessions/${session!.session_id}/checkpoints`).set(auth).expect(200);
    const [newer, older] = res.body.data;
    expect(newer.context_snapshot.channels.messages).toEqual({ version: 1, ref: older.checkpoint_id });
    expect(newer.context_snapshot.channels.count).toMatchObject({ version: 2, value: { type: 'json' } });
    expect((await saver.getTuple(c2))?.checkpoint.channel_values).toEqual({ messages: ['hi'], count: 2 });
  });

  it('reads and forks an old checkpoint of a long thread by asking for its phases, without paging through the thread', async () => {
    const project = await t.newProject();
    const writer = new SessionStateSaver({ baseUrl: t.baseUrl, apiKey: project.apiKey });
    const first = checkpointOf({ messages: ['hi'] }, { messages: 1 });
    const c1 = await writer.put({ configurable: { thread_id: 'long' } }, first, meta, { messages: 1 });
    await writer.putWrites(c1, [['messages', 'pending']], 'task-0');
    let config = c1;
    for (let step = 1; step <= 40; step += 1) {
      config = await writer.put(config, checkpointOf({ messages: ['hi'], n: step }, { messages: 1, n: step }), { ...meta, step }, { n: step });
      await writer.putWrites(config, [['n', step + 1]], `task-${step}`);
    }

    // A saver that has not seen the thread (another process): it knows nothing but the ids.
    const listed: URL[] = [];
    const reader = new SessionStateSaver({
      baseUrl: t.baseUrl,
      apiKey: project.apiKey,
      fetch: (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (
          /^\/v1\/sessions\/[^/]+\/checkpoints$/.test(url.pathname) &&
          (input instanceof Request ? input.method : (init?.method ?? 'GET')) === 'GET'
        ) {
          listed.push(url);
        }
        return globalThis.fetch(input, init);
      },
    });
    const tuple = await reader.getTuple(c1);
    expect(tuple?.checkpoint.id).toBe(first.id);
    expect(tuple?.checkpoint.channel_values).toEqual({ messages: ['hi'] });
    expect(tuple?.pendingWrites).toEqual([['task-0', 'messages', 'pending']]);
    expect(listed.map((url) => url.searchParams.get('phase'))).toEqual([`langgraph:checkpoint:${first.id}`, `langgraph:writes:${first.id}`]);

    listed.length = 0;
    const fork = checkpointOf({ messages: ['hi'], n: 100 }, { messages: 1, n: 100 });
    const forked = await reader.put(c1, fork, { ...meta, source: 'fork', step: 1 }, { n: 100 });
    expect(listed.map((url) => url.searchParams.get('phase'))).toEqual([`langgraph:checkpoint:${first.id}`]);
    expect((await writer.getTuple(forked))?.checkpoint.channel_values).toEqual({ messages: ['hi'], n: 100 });
    // The latest checkpoint is still found by reading from the newest record.
    expect((await reader.getTuple({ configurable: { thread_id: 'long' } }))?.checkpoint.id).toBe(fork.id);
  });

  it('archives the thread session on deleteThread and starts a new session on the next put', async () => {
    const { saver, auth } = await newSaver();
    const first = await saver.put({ configurable: { thread_id: 'gone' } }, checkpointOf({}, {}), meta, {});
    const [old] = await sessionsOfThread(auth, 'gone');

    await saver.deleteThread('gone');
    expect(await saver.getTuple(first)).toBeUndefined();
    expect(await saver.sessionOf('gone')).toBeUndefined();
    const archived = await t.http.get(`/v1/sessions/${old!.session_id}`).set(auth).expect(200);
    expect(archived.body.status).toBe('archived');
    // The archived session keeps the thread's history for the API (export, audit).
    expect(archived.body.checkpoints_count).toBe(1);

    const again = checkpointOf({}, {});
    await saver.put({ configurable: { thread_id: 'gone' } }, again, meta, {});
    const sessions = await sessionsOfThread(auth, 'gone');
    expect(sessions.map((session) => session.status)).toEqual(['active', 'archived']);
    expect((await saver.getTuple({ configurable: { thread_id: 'gone' } }))?.checkpoint.id).toBe(again.id);
  });

  it("reports a model call's tokens to the thread's budget and crosses its thresholds", async () => {
    const { saver, auth } = await newSaver({ session: { token_budget: { total: 10_000 } } });
    await saver.put({ configurable: { thread_id: 'budget' } }, checkpointOf({}, {}), meta, {});

    // A chat model's AIMessage.usage_metadata, passed as it is.
    const usageMetadata = { input_tokens: 6_000, output_tokens: 2_000, total_tokens: 8_000, input_token_details: { cache_read: 100 } };
    const result = await saver.recordUsage('budget', usageMetadata, { source: 'agent-node' });
    expect(result.crossed).toEqual([75]);
    expect(result.token_budget).toMatchObject({ total: 10_000, used: 8_000, available: 2_000 });
    const [session] = await sessionsOfThread(auth, 'budget');
    expect(result.session_id).toBe(session!.session_id);
    expect((await thresholdEventsOf(t.db, session!.session_id)).map((event) => event.data.threshold)).toEqual([75]);
    const usage = await t.http.get(`/v1/sessions/${session!.session_id}/usage`).set(auth).expect(200);
    expect(usage.body.data).toMatchObject([{ tokens: 8_000, source: 'agent-node' }]);
  });

  it('creates the thread session when usage comes before the first checkpoint, and counts a retried report once', async () => {
    const { saver, auth } = await newSaver();
    await saver.recordUsage('early', { tokens: 500 }, { idempotencyKey: 'call-1' });
    const replay = await saver.recordUsage('early', { tokens: 500 }, { idempotencyKey: 'call-1' });
    expect(replay.token_budget.used).toBe(500);
    const sessions = await sessionsOfThread(auth, 'early');
    expect(sessions).toHaveLength(1);
    await saver.put({ configurable: { thread_id: 'early' } }, checkpointOf({}, {}), meta, {});
    expect(await sessionsOfThread(auth, 'early')).toHaveLength(1);
  });

  it('keeps the thread history when its session is replaced by an emergency recovery', async () => {
    const { saver, auth } = await newSaver({ session: { token_budget: { total: 10_000 } } });
    const first = checkpointOf({ messages: ['hi'] }, { messages: 1 });
    const c1 = await saver.put({ configurable: { thread_id: 'recover' } }, first, meta, { messages: 1 });
    expect((await saver.recordUsage('recover', { tokens: 9_000 })).status).toBe('emergency_recovery');
    const old = (await saver.sessionOf('recover'))!;
    const recovery = await t.http.post(`/v1/sessions/${old.session_id}/emergency-recovery`).set(auth).send({}).expect(201);
    const fresh = recovery.body.new_session as { session_id: string };

    expect((await saver.sessionOf('recover'))?.session_id).toBe(fresh.session_id);
    expect((await saver.getTuple({ configurable: { thread_id: 'recover' } }))?.checkpoint.id).toBe(first.id);
    const second = checkpointOf({ messages: ['hi'], n: 1 }, { messages: 1, n: 1 });
    const c2 = await saver.put(c1, second, { ...meta, step: 1 }, { n: 1 });
    expect((await saver.getTuple(c2))?.checkpoint.channel_values).toEqual({ messages: ['hi'], n: 1 });
    const res = await t.http.get(`/v1/sessions/${fresh.session_id}/checkpoints`).set(auth).expect(200);
    expect(res.body.data.map((checkpoint: { phase: string }) => checkpoint.phase)).toContain(`langgraph:checkpoint:${second.id}`);
  });

  it('ignores checkpoints of the thread session that it did not write', async () => {
    const { saver, auth } = await newSaver();
    const mine = checkpointOf({}, {});
    await saver.put({ configurable: { thread_id: 'shared' } }, mine, meta, {});
    const [session] = await sessionsOfThread(auth, 'shared');
    await t.http
      .post(`/v1/sessions/${session!.session_id}/checkpoints`)
      .set(auth)
      .send({ phase: 'manual', context_snapshot: { note: 'taken by hand' } })
      .expect(201);

    expect((await saver.getTuple({ configurable: { thread_id: 'shared' } }))?.checkpoint.id).toBe(mine.id);
  });

  it("fails the put with the service's 413 problem when the state exceeds the checkpoint size limit", async () => {
    const { saver } = await newSaver();
    const huge = checkpointOf({ blob: 'x'.repeat(CHECKPOINT_MAX_BYTES) }, { blob: 1 });
    const put = saver.put({ configurable: { thread_id: 'big' } }, huge, meta, { blob: 1 });
    await expect(put).rejects.toBeInstanceOf(ProblemError);
    await expect(put).rejects.toMatchObject({ status: 413, code: 'CHECKPOINT_TOO_LARGE' });
  });

  it('rejects a thread_id too long to name a session', async () => {
    const { saver } = await newSaver();
    await expect(saver.put({ configurable: { thread_id: 'x'.repeat(247) } }, checkpointOf({}, {}), meta, {})).rejects.toThrow(/thread_id/);
  });

  it.skipIf(!onPostgres)('creates one session when the first checkpoints of a thread race', async () => {
    const { saver, auth } = await newSaver();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => saver.put({ configurable: { thread_id: 'race' } }, checkpointOf({}, {}), { ...meta, step: i }, {})),
    );
    const sessions = await sessionsOfThread(auth, 'race');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.checkpoints_count).toBe(6);
  });
});
