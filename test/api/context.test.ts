import { describe, expect, it } from 'vitest';
import { SESSION_STATE_MCP_TOKENS } from '../../src/modules/context/mcp-analysis.js';
import { useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { apiFactories } from '../helpers/factories.js';

const clock = createTestClock();
const t = useTestApp({ clock });

const WARNING = 'MCP servers consuming >5K tokens: consider disabling unused servers before critical tasks';

async function setup() {
  const project = await t.newProject();
  const analyze = (body: Record<string, unknown>) => t.http.post('/v1/context/mcp-analysis').set(project.auth).send(body);
  const putServer = (name: string, body: Record<string, unknown>) =>
    t.http
      .put(`/v1/context/mcp-servers/${encodeURIComponent(name)}`)
      .set(project.auth)
      .send(body);
  return { ...project, make: apiFactories(t, project.auth), analyze, putServer };
}

describe('POST /v1/context/mcp-analysis', () => {
  it('costs the active servers at the reference defaults, warns above 5,000 tokens and recommends for the task', async () => {
    const { analyze } = await setup();

    const res = await analyze({ servers: ['playwright', 'context7', 'github'], task_type: 'code_analysis' });

    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      servers: [
        { name: 'playwright', tool_definition_tokens: 3000, known: true, source: 'reference' },
        { name: 'context7', tool_definition_tokens: 2000, known: true, source: 'reference' },
        { name: 'github', tool_definition_tokens: 0, known: false, source: 'unknown' },
      ],
      total_tokens: 5000,
      warning: null,
      task_type: 'code_analysis',
      recommended: ['context7'],
      to_disable: ['playwright', 'github'],
      to_enable: [],
      session: null,
    });
  });

  it('warns once the total passes 5,000 tokens, counting the project’s own costs', async () => {
    const { analyze, putServer } = await setup();
    expect((await putServer('github', { tool_definition_tokens: 1 })).status).toBe(201);

    const res = await analyze({ servers: ['playwright', 'context7', 'github'] });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      servers: [
        { name: 'playwright', tool_definition_tokens: 3000, known: true, source: 'reference' },
        { name: 'context7', tool_definition_tokens: 2000, known: true, source: 'reference' },
        { name: 'github', tool_definition_tokens: 1, known: true, source: 'project' },
      ],
      total_tokens: 5001,
      warning: WARNING,
      // Without a task type there is no recommendation, so nothing to change.
      task_type: null,
      recommended: null,
      to_disable: [],
      to_enable: [],
    });
  });

  it.each([
    { task_type: 'code_analysis', servers: [], recommended: ['context7'], to_disable: [], to_enable: ['context7'] },
    { task_type: 'web_interaction', servers: ['context7'], recommended: ['playwright'], to_disable: ['context7'], to_enable: ['playwright'] },
    { task_type: 'web_interaction', servers: ['playwright'], recommended: ['playwright'], to_disable: [], to_enable: [] },
    { task_type: 'general', servers: ['context7', 'playwright'], recommended: [], to_disable: ['context7', 'playwright'], to_enable: [] },
  ])('for $task_type with $servers active: enable $to_enable, disable $to_disable', async ({ task_type, servers, ...expected }) => {
    const { analyze } = await setup();

    const res = await analyze({ servers, task_type });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ task_type, ...expected });
  });

  it("says what share of the session's available tokens the definitions would take", async () => {
    const { analyze, make } = await setup();
    const session = await make.session({ token_budget: { total: 100_000 } });
    await make.usage(session.session_id, 60_000);

    const res = await analyze({ servers: ['context7', 'playwright'], session_id: session.session_id });

    expect(res.status).toBe(200);
    expect(res.body.session).toEqual({
      session_id: session.session_id,
      available_tokens: 40_000,
      share_of_available_percent: 12.5,
      available_after_tokens: 35_000,
    });
  });

  it('gives no share of a session that has nothing available, and a negative remainder', async () => {
    const { analyze, make } = await setup();
    const session = await make.session({ token_budget: { total: 10_000 } });
    await make.usage(session.session_id, 12_000);

    const res = await analyze({ servers: ['context7'], session_id: session.session_id });

    expect(res.status).toBe(200);
    expect(res.body.session).toEqual({
      session_id: session.session_id,
      available_tokens: -2000,
      share_of_available_percent: null,
      available_after_tokens: -4000,
    });
  });

  it("is 404 for a session that does not exist, or is another project's", async () => {
    const { analyze } = await setup();
    const other = await setup();
    const theirs = await other.make.session();

    for (const sessionId of ['sess_nope', theirs.session_id]) {
      const res = await analyze({ servers: ['context7'], session_id: sessionId });
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND', detail: `session ${sessionId} does not exist in this project` });
    }
  });

  it('never uses another project’s costs', async () => {
    const mine = await setup();
    const other = await setup();
    await other.putServer('context7', { tool_definition_tokens: 9 });

    const res = await mine.analyze({ servers: ['context7'] });

    expect(res.body.servers).toEqual([{ name: 'context7', tool_definition_tokens: 2000, known: true, source: 'reference' }]);
  });

  it('treats names like "constructor" and "__proto__" as plain unknown servers', async () => {
    const { analyze } = await setup();

    const res = await analyze({ servers: ['constructor', '__proto__', 'toString'], task_type: 'general' });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total_tokens: 0, to_disable: ['constructor', '__proto__', 'toString'] });
    expect(res.body.servers.map((server: { known: boolean }) => server.known)).toEqual([false, false, false]);
  });

  it.each([
    { body: { servers: ['context7', 'playwright', 'context7'] }, path: 'body.servers.2', message: /listed twice \(also at index 0\)/ },
    { body: { servers: ['context7'], task_type: 'data_science' }, path: 'body.task_type', message: /code_analysis/ },
    { body: { task_type: 'general' }, path: 'body.servers', message: /.+/ },
    { body: { servers: [''] }, path: 'body.servers.0', message: /.+/ },
    { body: { servers: ['x'.repeat(257)] }, path: 'body.servers.0', message: /.+/ },
    { body: { servers: 'context7' }, path: 'body.servers', message: /.+/ },
    { body: { servers: [], sever: 1 }, path: 'body.sever', message: /unknown field "sever"/ },
    { body: { servers: [], session_id: '' }, path: 'body.session_id', message: /.+/ },
  ])('refuses $body with 400 naming $path', async ({ body, path, message }) => {
    const { analyze } = await setup();

    const res = await analyze(body);

    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('refuses more than 1000 servers', async () => {
    const { analyze } = await setup();

    const res = await analyze({ servers: Array.from({ length: 1001 }, (_, i) => `server-${i}`) });

    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path: 'body.servers', message: expect.any(String) });
  });

  it('accepts 1000 servers of 256 characters', async () => {
    const { analyze } = await setup();
    const servers = Array.from({ length: 1000 }, (_, i) => `${i}`.padStart(256, 's'));

    const res = await analyze({ servers });

    expect(res.status).toBe(200);
    expect(res.body.servers).toHaveLength(1000);
  });

  it('is 401 without an API key', async () => {
    const res = await t.http.post('/v1/context/mcp-analysis').send({ servers: [] });
    expect(res.status).toBe(401);
  });
});

describe('PUT /v1/context/mcp-servers/{name}', () => {
  it('sets a cost (201), then replaces it (200) keeping created_at', async () => {
    const { putServer } = await setup();

    const created = await putServer('github', { tool_definition_tokens: 1500 });
    clock.advance(1000);
    const replaced = await putServer('github', { tool_definition_tokens: 0 });

    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toEqual({
      name: 'github',
      tool_definition_tokens: 1500,
      source: 'project',
      reference_tokens: null,
      created_at: expect.any(String),
      updated_at: created.body.created_at,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({
      ...created.body,
      tool_definition_tokens: 0,
      updated_at: new Date(Date.parse(created.body.created_at) + 1000).toISOString(),
    });
  });

  it('overrides a reference default for this project, and analyses use it', async () => {
    const { putServer, analyze } = await setup();

    const res = await putServer('playwright', { tool_definition_tokens: 4500 });
    const analysis = await analyze({ servers: ['playwright', 'context7'] });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'playwright', tool_definition_tokens: 4500, source: 'project', reference_tokens: 3000 });
    expect(analysis.body).toMatchObject({ total_tokens: 6500, warning: WARNING });
  });

  it('takes names with spaces and slashes, percent-encoded, and 256 characters', async () => {
    const { putServer, analyze } = await setup();
    const long = 'n'.repeat(256);

    expect((await putServer('my server/v2', { tool_definition_tokens: 7 })).body.name).toBe('my server/v2');
    expect((await putServer(long, { tool_definition_tokens: 8 })).status).toBe(201);
    const res = await analyze({ servers: ['my server/v2', long] });

    expect(res.body.total_tokens).toBe(15);
  });

  it.each([
    { body: { tool_definition_tokens: -1 }, path: 'body.tool_definition_tokens' },
    { body: { tool_definition_tokens: 1_000_001 }, path: 'body.tool_definition_tokens' },
    { body: { tool_definition_tokens: 1.5 }, path: 'body.tool_definition_tokens' },
    { body: { tool_definition_tokens: '10' }, path: 'body.tool_definition_tokens' },
    { body: {}, path: 'body.tool_definition_tokens' },
    { body: { tool_definition_tokens: 10, tokens: 10 }, path: 'body.tokens' },
  ])('refuses $body with 400 naming $path', async ({ body, path }) => {
    const { putServer } = await setup();

    const res = await putServer('github', body);

    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path, message: expect.any(String) });
  });

  it('accepts the bounds 0 and 1,000,000', async () => {
    const { putServer } = await setup();
    expect((await putServer('a', { tool_definition_tokens: 0 })).status).toBe(201);
    expect((await putServer('b', { tool_definition_tokens: 1_000_000 })).status).toBe(201);
  });

  it('refuses a name of 257 characters', async () => {
    const { putServer } = await setup();

    const res = await putServer('n'.repeat(257), { tool_definition_tokens: 1 });

    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path: 'params.name', message: expect.any(String) });
  });

  it('is 401 without an API key', async () => {
    expect((await t.http.put('/v1/context/mcp-servers/github').send({ tool_definition_tokens: 1 })).status).toBe(401);
  });
});

describe('GET /v1/context/mcp-servers', () => {
  it('lists the reference defaults when the project set none', async () => {
    const { auth } = await setup();

    const res = await t.http.get('/v1/context/mcp-servers').set(auth);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        { name: 'context7', tool_definition_tokens: 2000, source: 'reference', reference_tokens: 2000, created_at: null, updated_at: null },
        { name: 'playwright', tool_definition_tokens: 3000, source: 'reference', reference_tokens: 3000, created_at: null, updated_at: null },
        {
          name: 'session-state',
          tool_definition_tokens: SESSION_STATE_MCP_TOKENS,
          source: 'reference',
          reference_tokens: SESSION_STATE_MCP_TOKENS,
          created_at: null,
          updated_at: null,
        },
      ],
      next_cursor: null,
    });
  });

  it("merges the project's costs with the defaults by name, the project's winning, and pages through them", async () => {
    const { auth, putServer } = await setup();
    const other = await setup();
    await other.putServer('zzz-theirs', { tool_definition_tokens: 1 });
    for (const [name, tokens] of [
      ['playwright', 10],
      ['aaa', 20],
      ['Zed', 30],
      ['mmm', 40],
    ] as const) {
      await putServer(name, { tool_definition_tokens: tokens });
    }

    const pages = [];
    let cursor: string | null = null;
    do {
      const res = await t.http
        .get('/v1/context/mcp-servers')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(auth);
      expect(res.status).toBe(200);
      const page = res.body as { data: { name: string; tool_definition_tokens: number; source: string }[]; next_cursor: string | null };
      pages.push(page.data.map((server) => [server.name, server.tool_definition_tokens, server.source]));
      cursor = page.next_cursor;
    } while (cursor);

    // Bytewise order: upper case before lower case, whatever the database's locale.
    expect(pages).toEqual([
      [
        ['Zed', 30, 'project'],
        ['aaa', 20, 'project'],
      ],
      [
        ['context7', 2000, 'reference'],
        ['mmm', 40, 'project'],
      ],
      [
        ['playwright', 10, 'project'],
        ['session-state', SESSION_STATE_MCP_TOKENS, 'reference'],
      ],
    ]);
  });

  it('refuses a cursor it never issued and unknown parameters', async () => {
    const { auth } = await setup();

    const badCursor = await t.http.get('/v1/context/mcp-servers?cursor=!!!').set(auth);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors).toEqual([{ path: 'query.cursor', message: 'is not a cursor of this list' }]);
    expect((await t.http.get('/v1/context/mcp-servers?limit=0').set(auth)).status).toBe(400);
    expect((await t.http.get('/v1/context/mcp-servers?sort=name').set(auth)).status).toBe(400);
  });

  it('is 401 without an API key', async () => {
    expect((await t.http.get('/v1/context/mcp-servers')).status).toBe(401);
  });
});

describe('DELETE /v1/context/mcp-servers/{name}', () => {
  it("removes the project's cost: a reference server costs its default again", async () => {
    const { auth, putServer, analyze } = await setup();
    await putServer('context7', { tool_definition_tokens: 1 });

    const res = await t.http.delete('/v1/context/mcp-servers/context7').set(auth);
    const analysis = await analyze({ servers: ['context7'] });

    expect(res.status).toBe(204);
    expect(analysis.body.servers).toEqual([{ name: 'context7', tool_definition_tokens: 2000, known: true, source: 'reference' }]);
  });

  it('is 404 when the project set no cost for the server, a reference one included', async () => {
    const { auth } = await setup();
    const other = await setup();
    await other.putServer('github', { tool_definition_tokens: 1 });

    for (const name of ['context7', 'github']) {
      const res = await t.http.delete(`/v1/context/mcp-servers/${name}`).set(auth);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  it('is 401 without an API key', async () => {
    expect((await t.http.delete('/v1/context/mcp-servers/github')).status).toBe(401);
  });
});
