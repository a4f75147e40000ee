// The reference's "End-to-End Session Workflow" (section 8 of the seed), written against the
// typed client. Run it against a local service with one command:
//
//   SESSION_STATE_API_KEY=sss_... npm run example          (SESSION_STATE_URL defaults to http://localhost:3000)
//
// It imports @session-state/client by name, as an application that installed the package does
// (here tsconfig.json maps the name to packages/client/src).
import { pathToFileURL } from 'node:url';
import { createClient, ProblemError, ServiceUnreachableError, type SessionStateClient } from '@session-state/client';

export interface WorkflowResult {
  original_session: string;
  total_tokens_used: number;
  /** Set when the budget ran critical (> 80%) and the session was moved to a fresh one. */
  recovered_session: string | null;
  status: 'completed';
}

export interface WorkflowOptions {
  client: SessionStateClient;
  /** Where the narration goes (default: console.log). */
  log?: (line: string) => void;
  taskId?: string;
}

const TOKENS_PER_ITERATION = 15_000;
const ITERATIONS = 5;

export async function runReferenceWorkflow({ client, log = console.log, taskId = 'SPEC-001' }: WorkflowOptions): Promise<WorkflowResult> {
  // Step 1: create the session (the budget defaults to the model's 200,000-token context window)
  const { data: session } = await client.POST('/v1/sessions', { body: { task_id: taskId, context: { phase: 'specification' } } });
  const sessionId = session.session_id;
  log(`Created session: ${sessionId} (budget ${session.token_budget.total.toLocaleString('en-US')} tokens)`);

  // Step 2: execute the task with token tracking. The 75% and 85% "callbacks" of the reference
  // are the `crossed` list of each usage response (and session.threshold_crossed webhooks).
  for (let i = 0; i < ITERATIONS; i++) {
    const { data: usage } = await client.POST('/v1/sessions/{id}/usage', {
      params: { path: { id: sessionId } },
      body: { tokens: TOKENS_PER_ITERATION, source: `iteration_${i}` },
    });
    for (const threshold of usage.crossed) {
      log(`Warning: ${usage.token_budget.position_percent}% token budget used (crossed ${threshold}%, level ${usage.level})`);
    }
    // Checkpoint before major operations; without a snapshot the service takes the current context.
    if (i % 2 === 0) {
      const { data: checkpoint } = await client.POST('/v1/sessions/{id}/checkpoints', {
        params: { path: { id: sessionId } },
        body: { phase: `iteration_${i}` },
      });
      log(`Checkpoint created: ${checkpoint.checkpoint_id} (${checkpoint.phase}, ${checkpoint.token_usage.position_percent}% used)`);
    }
  }

  // Step 3: hand off to another agent
  const { data: handoff } = await client.POST('/v1/handoffs', {
    body: { from_agent: 'spec-builder', to_agent: 'tdd-implementer', session_id: sessionId, task_context: { phase: 'implementation' } },
  });
  log(
    `Handoff package: ${handoff.handoff_id} (${handoff.from_agent} → ${handoff.to_agent}, last checkpoint ${handoff.recovery_info.last_checkpoint})`,
  );

  // Step 4: resume after the handoff
  const { data: resumed } = await client.POST('/v1/sessions/{id}/resume', { params: { path: { id: sessionId } }, body: {} });
  log(`Session resumed: ${resumed.status}`);

  // Step 5: read the usage report and recover if the budget is critical
  const { data: report } = await client.GET('/v1/sessions/{id}/usage', { params: { path: { id: sessionId }, query: { limit: 10 } } });
  const latest = report.data[0];
  if (!latest) throw new Error(`no usage recorded for ${sessionId}`);
  let recovered: string | null = null;
  if (latest.position_percent > 80) {
    log('Token budget critical - initiating recovery');
    const { data: recovery } = await client.POST('/v1/sessions/{id}/emergency-recovery', { params: { path: { id: sessionId } }, body: {} });
    recovered = recovery.new_session.session_id;
    log(`Recovery completed: ${recovered}`);
  } else {
    log(`Token budget at ${latest.position_percent}%: no recovery needed`);
  }

  return { original_session: sessionId, total_tokens_used: latest.used, recovered_session: recovered, status: 'completed' };
}

async function main(): Promise<number> {
  const baseUrl = process.env.SESSION_STATE_URL || 'http://localhost:3000';
  const apiKey = process.env.SESSION_STATE_API_KEY;
  if (!apiKey) {
    console.error('Set SESSION_STATE_API_KEY to a project key (the one `npm start` printed on first start).');
    return 3;
  }
  try {
    const result = await runReferenceWorkflow({ client: createClient({ baseUrl, apiKey }) });
    console.log(JSON.stringify(result, null, 2));
    return 0;
  } catch (error) {
    if (error instanceof ProblemError) {
      console.error(`error: ${error.status} ${error.title}: ${error.detail}`);
      return 1;
    }
    if (error instanceof ServiceUnreachableError) {
      console.error(`error: ${error.message}`);
      return 3;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
