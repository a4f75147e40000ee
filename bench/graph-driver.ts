// One run of the StateGraph scenario, as a process of its own (so that its CPU is its own): a real
// LangGraph StateGraph of three nodes, each adding a ~2 KiB message to a growing message list,
// THREADS threads at once, INVOKES invokes each, checkpointed by SessionStateSaver (against the
// service at BASE_URL) or by LangGraph's PostgresSaver (on DATABASE_URL). Prints one JSON line: a
// Load (see measure.ts) whose `extra` counts the requests the saver made per graph step.
//
// Environment: SAVER=service|postgres, THREADS, INVOKES, RUN (prefix of the thread ids),
// BASE_URL and API_KEY (service), DATABASE_URL and POOL_MAX (postgres).
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { SessionStateSaver } from '@session-state/langgraph';
import { LANGGRAPH_SCHEMA } from './baseline-sql.js';
import { percentile } from './load.js';
import type { Load } from './measure.js';

const env = (name: string) => process.env[name] ?? '';
const THREADS = Number(env('THREADS'));
const INVOKES = Number(env('INVOKES'));
const NODES = 3;
const FILLER = 'x'.repeat(2048);

let requests = 0;
let statements = 0;
let steps = 0;

async function createSaver(): Promise<BaseCheckpointSaver> {
  if (env('SAVER') === 'service') {
    const countingFetch: typeof fetch = (input, init) => {
      requests += 1;
      return fetch(input, init);
    };
    return new SessionStateSaver({ baseUrl: env('BASE_URL'), apiKey: env('API_KEY'), fetch: countingFetch });
  }
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements += 1;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  const saver = new PostgresSaver(new pg.Pool({ connectionString: env('DATABASE_URL'), max: Number(env('POOL_MAX')) }), undefined, {
    schema: LANGGRAPH_SCHEMA,
  });
  await saver.setup();
  statements = 0;
  return saver;
}

const saver = await createSaver();
// A graph step is a checkpoint LangGraph asks the saver to store.
const put = saver.put.bind(saver);
saver.put = (...args) => {
  steps += 1;
  return put(...args);
};

const node = (name: string) => (state: typeof MessagesAnnotation.State) => ({
  messages: [new AIMessage(`${name} after ${state.messages.length} messages: ${FILLER}`)],
});
const app = new StateGraph(MessagesAnnotation)
  .addNode('plan', node('plan'))
  .addNode('act', node('act'))
  .addNode('reflect', node('reflect'))
  .addEdge(START, 'plan')
  .addEdge('plan', 'act')
  .addEdge('act', 'reflect')
  .addEdge('reflect', END)
  .compile({ checkpointer: saver });

const threadConfig = (thread: number) => ({ configurable: { thread_id: `${env('RUN')}-${thread}` } });
const latencies: number[] = [];
const cpu = process.cpuUsage();
const started = performance.now();
await Promise.all(
  Array.from({ length: THREADS }, async (_, thread) => {
    for (let i = 0; i < INVOKES; i++) {
      const sent = performance.now();
      await app.invoke({ messages: [new HumanMessage(`invoke ${i}`)] }, threadConfig(thread));
      latencies.push(performance.now() - sent);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const counted = { requests, statements, steps };

// The state came back every time: each invoke added its question and one message per node.
const state = await app.getState(threadConfig(0));
const messages = (state.values as typeof MessagesAnnotation.State).messages.length;
if (messages !== INVOKES * (1 + NODES)) throw new Error(`thread 0 holds ${messages} messages, not ${INVOKES * (1 + NODES)}`);

const invokes = THREADS * INVOKES;
const load: Load = {
  ops: invokes,
  seconds,
  p50Ms: percentile(latencies, 50),
  p99Ms: percentile(latencies, 99),
  failures: 0,
  extra: {
    stepsPerInvoke: counted.steps / invokes,
    requestsPerStep: counted.requests / counted.steps,
    statementsPerStep: counted.statements / counted.steps,
    graphCpuMsPerInvoke: (used.user + used.system) / 1000 / invokes,
  },
};
process.stdout.write(`${JSON.stringify(load)}\n`);
process.exit(0);
