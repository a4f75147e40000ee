// The service as an MCP server, driven by the official MCP client SDK (@modelcontextprotocol/client)
// over real HTTP against the listening app, in both protocol eras it speaks.
import { readFile } from 'node:fs/promises';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { definitionTokens, SESSION_STATE_MCP_TOKENS } from '../../src/modules/context/mcp-analysis.js';
import { MCP_TOOLS } from '../../src/modules/mcp/mcp.tools.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp({ listen: true });

type Era = 'legacy' | { pin: string };

async function connect(apiKey: string, era: Era = 'legacy'): Promise<Client> {
  const client = new Client({ name: 'mcp-test', version: '1.0.0' }, { versionNegotiation: { mode: era } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.baseUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${apiKey}` } } }),
  );
  return client;
}

/** A tool call's JSON result (the tools answer one text block of JSON), and whether it is a tool error. */
async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text: string }[];
  expect(content).toHaveLength(1);
  let body: Record<string, unknown> | string;
  try {
    body = JSON.parse(content[0]!.text) as Record<string, unknown>;
  } catch {
    body = content[0]!.text;
  }
  return { isError: result.isError === true, body: body as Record<string, unknown> };
}

async function newSession(auth: { authorization: string }, total = 100_000): Promise<string> {
  const res = await t.http
    .post('/v1/sessions')
    .set(auth)
    .send({ task_id: 'MCP-1', token_budget: { total }, context: { plan: 'p' } });
  expect(res.status, res.text).toBe(201);
  return res.body.session_id as string;
}

describe('the MCP server at /mcp', () => {
  it.each<[string, Era]>([
    ['2025-11-25 (stateless initialize)', 'legacy'],
    ['2026-07-28', { pin: '2026-07-28' }],
  ])(
    'lists every tool in %s, its whole tools/list under 2,000 tokens by the MCP analysis measure, the figure the README and the analysis give',
    async (_era, era) => {
      const { apiKey, auth } = await t.newProject();
      const client = await connect(apiKey, era);
      const { tools } = await client.listTools();
      const templates = await client.listResourceTemplates();
      await client.close();

      expect(tools.map((tool) => tool.name)).toEqual(MCP_TOOLS.map((tool) => tool.name));
      expect(tools.map((tool) => tool.name).sort()).toEqual(
        [
          'accept_handoff',
          'create_checkpoint',
          'create_handoff',
          'emergency_recovery',
          'fork_session',
          'get_budget',
          'get_session',
          'list_checkpoints',
          'merge_session',
          'record_usage',
          'restore_checkpoint',
          'reserve_tokens',
          'commit_reservation',
          'release_reservation',
        ].sort(),
      );
      const tokens = definitionTokens({ tools });
      expect(tokens).toBeLessThan(2000);
      expect(tokens, 'update SESSION_STATE_MCP_TOKENS and the README').toBe(SESSION_STATE_MCP_TOKENS);
      expect(await readFile('README.md', 'utf8')).toContain(`**${SESSION_STATE_MCP_TOKENS.toLocaleString('en-US')} tokens**`);
      const analysis = await t.http
        .post('/v1/context/mcp-analysis')
        .set(auth)
        .send({ servers: ['session-state'] });
      expect(analysis.body.servers).toEqual([{ name: 'session-state', tool_definition_tokens: tokens, known: true, source: 'reference' }]);
      // The REST route's schema: record_usage takes the usage body's fields, plus the path's id and the header's key.
      const recordUsage = tools.find((tool) => tool.name === 'record_usage')!;
      expect(Object.keys(recordUsage.inputSchema.properties ?? {}).sort()).toEqual(
        ['idempotency_key', 'input_tokens', 'model', 'output_tokens', 'provider', 'session_id', 'source', 'tokens', 'usage'].sort(),
      );
      expect(recordUsage.inputSchema).toMatchObject({ additionalProperties: false, required: ['session_id'] });
      expect(templates.resourceTemplates.map((template) => template.uriTemplate)).toEqual(['session://{id}/budget']);
    },
  );

  it('reserves, commits and releases through reserve_tokens, commit_reservation and release_reservation', async () => {
    const { apiKey, auth } = await t.newProject();
    const client = await connect(apiKey);
    const sessionId = await newSession(auth, 10_000);

    const hold = await call(client, 'reserve_tokens', { session_id: sessionId, tokens: 6_000 });
    expect(hold).toMatchObject({ isError: false, body: { status: 'held', tokens: 6_000, token_budget: { reserved: 6_000, available: 4_000 } } });
    const refused = await call(client, 'reserve_tokens', { session_id: sessionId, tokens: 4_001 });
    expect(refused).toMatchObject({ isError: true, body: { code: 'BUDGET_EXHAUSTED', status: 409, available: 4_000, reserved: 6_000 } });
    const second = await call(client, 'reserve_tokens', { session_id: sessionId, tokens: 1_000 });

    const committed = await call(client, 'commit_reservation', { reservation_id: hold.body.reservation_id, tokens: 5_500 });
    expect(committed).toMatchObject({
      isError: false,
      body: { crossed: [], token_budget: { used: 5_500, reserved: 1_000, available: 3_500 }, reservation: { status: 'committed' } },
    });
    // The same body again is counted once (the REST route's replay); the REST commit agrees it is the same request.
    const again = await call(client, 'commit_reservation', { reservation_id: hold.body.reservation_id, tokens: 5_500 });
    expect(again.isError).toBe(false);
    const rest = await t.http.post(`/v1/reservations/${hold.body.reservation_id}/commit`).set(auth).send({ tokens: 5_500 });
    expect(rest.headers['idempotent-replayed']).toBe('true');
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId } })).toBe(1);

    const released = await call(client, 'release_reservation', { reservation_id: second.body.reservation_id });
    expect(released).toMatchObject({ isError: false, body: { status: 'released', release_reason: 'client' } });
    const session = (await t.http.get(`/v1/sessions/${sessionId}`).set(auth)).body;
    expect(session.token_budget).toMatchObject({ used: 5_500, reserved: 0, available: 4_500 });
    await client.close();
  });

  it("record_usage takes a provider's usage object as the REST route does, cache reads in their own class", async () => {
    const { apiKey, auth } = await t.newProject();
    const client = await connect(apiKey);
    const sessionId = await newSession(auth);
    const usage = { input_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 300 };

    const result = await call(client, 'record_usage', { session_id: sessionId, provider: 'anthropic', usage });
    await client.close();

    expect(result).toMatchObject({ isError: false, body: { tokens: 1550, classes: { input: 50, cache_read: 1000, cache_write: 200, output: 300 } } });
    const rest = await t.http.get(`/v1/sessions/${sessionId}/usage`).set(auth);
    expect(rest.body.data).toMatchObject([{ tokens: 1550, provider: 'anthropic', classes: { cache_read: 1000 } }]);
  });

  it('calls each tool through the same services as the REST API, and the database shows it', async () => {
    const { apiKey, auth, projectId } = await t.newProject();
    const client = await connect(apiKey);
    const sessionId = await newSession(auth);

    const session = await call(client, 'get_session', { session_id: sessionId });
    expect(session).toMatchObject({ isError: false, body: { session_id: sessionId, status: 'active', context: { plan: 'p' } } });

    const usage = await call(client, 'record_usage', { session_id: sessionId, input_tokens: 60_000, output_tokens: 20_000, idempotency_key: 'k-1' });
    expect(usage).toMatchObject({ isError: false, body: { crossed: [75], token_budget: { used: 80_000, available: 20_000 } } });
    const retried = await call(client, 'record_usage', {
      session_id: sessionId,
      input_tokens: 60_000,
      output_tokens: 20_000,
      idempotency_key: 'k-1',
    });
    expect(retried.body).toEqual(usage.body);
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId } })).toBe(1);
    expect(await t.db.prisma.session.findUniqueOrThrow({ where: { id: sessionId } })).toMatchObject({ used: 80_000n });

    const budget = await call(client, 'get_budget', { session_id: sessionId });
    const rest = await t.http.get(`/v1/sessions/${sessionId}/budget`).set(auth);
    // The same answer as the REST route's, but for what moves with the clock (age, duration, time forecasts).
    type BudgetBody = { recommendations: { metric: string; target: string }[]; forecast: object };
    const steady = (body: Record<string, unknown>) => {
      const { recommendations, forecast } = body as BudgetBody;
      return {
        ...body,
        session_age_seconds: 0,
        recommendations: recommendations.map((r) => [r.metric, r.target]),
        forecast: { ...forecast, seconds_until: null },
      };
    };
    expect(steady(budget.body)).toEqual(steady(rest.body));

    const checkpoint = await call(client, 'create_checkpoint', { session_id: sessionId, phase: 'before-risk' });
    expect(checkpoint).toMatchObject({ isError: false, body: { phase: 'before-risk', context_snapshot: { plan: 'p' } } });
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId, phase: 'before-risk' } })).toBe(1);
    const listed = await call(client, 'list_checkpoints', { session_id: sessionId, limit: 5 });
    expect((listed.body.data as { checkpoint_id: string }[]).map((item) => item.checkpoint_id)).toEqual([checkpoint.body.checkpoint_id]);

    await t.http
      .patch(`/v1/sessions/${sessionId}`)
      .set(auth)
      .send({ context: { plan: 'changed' } });
    const restored = await call(client, 'restore_checkpoint', { checkpoint_id: checkpoint.body.checkpoint_id });
    expect(restored.body).toMatchObject({ context: { plan: 'p' }, status: 'active' });
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id: sessionId } })).context).toEqual({ plan: 'p' });

    const forked = await call(client, 'fork_session', { session_id: sessionId, task_id: 'try-b' });
    expect(forked.body).toMatchObject({ task_id: 'try-b', parent_session_id: sessionId });
    const merged = await call(client, 'merge_session', { session_id: sessionId, fork_session_id: forked.body.session_id, strategy: 'deep' });
    expect(merged.isError).toBe(false);
    expect(await t.db.prisma.session.findUniqueOrThrow({ where: { id: forked.body.session_id as string } })).toMatchObject({
      status: 'archived',
      mergedIntoSessionId: sessionId,
    });

    const roomy = await newSession(auth);
    const handoff = await call(client, 'create_handoff', {
      from_agent: 'planner',
      to_agent: 'coder',
      session_id: roomy,
      task_context: { phase: 'impl' },
    });
    expect(handoff).toMatchObject({ isError: false, body: { status: 'pending', session_context: { session_id: roomy } } });
    const accepted = await call(client, 'accept_handoff', { handoff_id: handoff.body.handoff_id });
    expect(accepted.body).toMatchObject({ status: 'accepted' });
    expect(await t.db.prisma.handoff.findUniqueOrThrow({ where: { id: handoff.body.handoff_id as string } })).toMatchObject({
      status: 'accepted',
      projectId,
    });

    const recovered = await call(client, 'emergency_recovery', { session_id: sessionId });
    expect(recovered.body).toMatchObject({ original_session_id: sessionId, new_session: { status: 'active', recovered_from_session_id: sessionId } });
    expect(await t.db.prisma.session.findUniqueOrThrow({ where: { id: sessionId } })).toMatchObject({ status: 'archived' });

    const resource = await client.readResource({ uri: `session://${roomy}/budget` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ session_id: roomy, token_budget: { used: 0 } });
    await client.close();
  });

  it('answers bad arguments and refused actions with tool errors carrying the problem, and changes nothing', async () => {
    const { apiKey, auth } = await t.newProject();
    const client = await connect(apiKey);
    const sessionId = await newSession(auth, 1000);

    const invalid = await call(client, 'record_usage', { session_id: sessionId, tokens: 5, input_tokens: 3 });
    const unknownField = await call(client, 'get_session', { session_id: sessionId, extra: true });
    const missing = await call(client, 'create_checkpoint', { session_id: sessionId });
    await t.http.post(`/v1/sessions/${sessionId}/archive`).set(auth).send({});
    const archived = await call(client, 'record_usage', { session_id: sessionId, tokens: 5 });
    await client.close();

    for (const result of [invalid, unknownField, missing]) expect(result.isError).toBe(true);
    expect(String(invalid.body)).toContain('give either tokens or input_tokens and output_tokens, not both');
    expect(archived).toMatchObject({ isError: true, body: { status: 409, code: 'SESSION_ARCHIVED', type: '/problems/session-archived' } });
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId } })).toBe(0);
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId } })).toBe(0);
  });

  it("does not find another project's session, checkpoint or handoff", async () => {
    const mine = await t.newProject();
    const theirs = await t.newProject();
    const theirSession = await newSession(theirs.auth);
    const client = await connect(mine.apiKey);

    const results = [
      await call(client, 'get_session', { session_id: theirSession }),
      await call(client, 'record_usage', { session_id: theirSession, tokens: 10 }),
      await call(client, 'emergency_recovery', { session_id: theirSession }),
    ];
    await expect(client.readResource({ uri: `session://${theirSession}/budget` })).rejects.toThrow();
    await client.close();

    for (const result of results) expect(result).toMatchObject({ isError: true, body: { status: 404, code: 'NOT_FOUND' } });
    expect(await t.db.prisma.session.findUniqueOrThrow({ where: { id: theirSession } })).toMatchObject({ used: 0n, status: 'active' });
  });

  it('refuses a request without a valid API key with 401, and runs no tool', async () => {
    const { auth } = await t.newProject();
    const sessionId = await newSession(auth);
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'record_usage', arguments: { session_id: sessionId, tokens: 10 } } };
    const send = (headers: Record<string, string>) =>
      fetch(`${t.baseUrl}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-11-25',
          ...headers,
        },
        body: JSON.stringify(body),
      });

    for (const res of [await send({}), await send({ authorization: 'Bearer sss_not_a_key' })]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    await expect(connect('sss_not_a_key')).rejects.toThrow();
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId } })).toBe(0);
  });

  it('is stateless: GET and DELETE, the 2025 session operations, answer 405', async () => {
    const { auth } = await t.newProject();
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${t.baseUrl}/mcp`, { method, headers: { ...auth, accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
    }
  });
});
