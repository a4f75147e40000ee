// Compile-time tests of the client's types: `npm run typecheck` compiles this file (it never runs).
// Each `@ts-expect-error` fails the typecheck if the line under it compiles, so every misuse below
// must stay a compile error.
import { createClient, type PagedList, type Session, type UsageResult } from '@session-state/client';

export async function resourceMethods(): Promise<void> {
  const client = createClient({ baseUrl: 'http://localhost:3000', apiKey: 'sss_example' });
  const session: Session = await client.sessions.create({ task_id: 'SPEC-001', token_budget: { total: 100_000 } });
  const id = session.session_id;

  const usage: UsageResult = await client.sessions.usage.create(id, { input_tokens: 1_200, output_tokens: 300 });
  usage.crossed.map((threshold: number) => threshold);
  // @ts-expect-error a misspelt top-level field of a body
  await client.sessions.usage.create(id, { tokenz: 1 });
  // @ts-expect-error a field of the wrong type
  await client.sessions.usage.create(id, { tokens: '1' });
  // @ts-expect-error a misspelt field of a nested object
  await client.sessions.create({ task_id: 'SPEC-001', token_budget: { totl: 100_000 } });
  // @ts-expect-error a required field missing
  await client.sessions.create({ model: 'claude-sonnet-4-5-20250929' });
  // @ts-expect-error a status the API does not have
  client.sessions.list({ status: 'paused' });
  // @ts-expect-error a misspelt query parameter
  client.sessions.list({ statuz: 'active' });
  // @ts-expect-error the session id is a string
  await client.sessions.get(42);

  const sessions: PagedList<Session> = client.sessions.list({ status: 'active', task_id: 'SPEC-001', limit: 50 });
  for await (const listed of sessions) listed.token_budget.used.toFixed();
  const page = await sessions.firstPage();
  page.data.map((listed: Session) => listed.session_id);
  const next: string | null = page.next_cursor;
  // @ts-expect-error a list is not a page: call firstPage()
  void (await client.sessions.list()).data;

  await client.checkpoints.restore((await client.checkpoints.create(id, { phase: 'iteration_0' })).checkpoint_id);
  const recovery = await client.sessions.emergencyRecovery(id);
  recovery.new_session.recovered_from_session_id?.startsWith('sess_');
  void next;
}

export async function typedPaths(): Promise<void> {
  const client = createClient({ baseUrl: 'http://localhost:3000', apiKey: 'sss_example' });
  const { data } = await client.POST('/v1/sessions/{id}/usage', { params: { path: { id: 'sess_x' } }, body: { tokens: 1 } });
  data.token_budget.available.toFixed();
  // @ts-expect-error a misspelt top-level field of a body, on the typed paths too
  await client.POST('/v1/sessions/{id}/usage', { params: { path: { id: 'sess_x' } }, body: { tokenz: 1 } });
  // @ts-expect-error a path the API does not have
  await client.GET('/v1/sesions');
}
