import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';
import { DEFAULT_MODELS } from '../../src/config.js';

// As MODELS='[{"model":"my-own-model","context_window":200000}]' adds a model without a price.
const t = useTestApp({ config: { models: [...DEFAULT_MODELS, { model: 'my-own-model', contextWindow: 200_000, price: null }] } });

async function newSession(body: Record<string, unknown> = {}) {
  const project = await t.newProject();
  const res = await t.http
    .post('/v1/sessions')
    .set(project.auth)
    .send({ task_id: 'TOK-1', ...body });
  expect(res.status).toBe(201);
  const id = res.body.session_id as string;
  const use = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.http.post(`/v1/sessions/${id}/usage`).set(project.auth).set(headers).send(payload);
  const history = async () => (await t.http.get(`/v1/sessions/${id}/usage?limit=50`).set(project.auth)).body.data as Record<string, unknown>[];
  const get = async () => (await t.http.get(`/v1/sessions/${id}`).set(project.auth)).body as Record<string, unknown>;
  return { ...project, id, use, history, get };
}

const classes = (c: Partial<Record<'input' | 'cache_read' | 'cache_write' | 'cache_write_1h' | 'output' | 'reasoning', number>>) => ({
  input: 0,
  cache_read: 0,
  cache_write: 0,
  cache_write_1h: 0,
  output: 0,
  reasoning: 0,
  ...c,
});

const anthropicUsage = {
  input_tokens: 50,
  cache_read_input_tokens: 100_000,
  cache_creation_input_tokens: 248,
  cache_creation: { ephemeral_5m_input_tokens: 148, ephemeral_1h_input_tokens: 100 },
  output_tokens: 503,
};

describe('POST /v1/sessions/{id}/usage with { provider, usage }', () => {
  it.each([
    [
      'anthropic',
      'claude-sonnet-4-5-20250929',
      anthropicUsage,
      classes({ input: 50, cache_read: 100_000, cache_write: 248, cache_write_1h: 100, output: 503 }),
      100_801,
      '0.03885',
    ],
    [
      'openai',
      'gpt-4o',
      {
        prompt_tokens: 2006,
        completion_tokens: 300,
        total_tokens: 2306,
        prompt_tokens_details: { cached_tokens: 1920 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
      classes({ input: 86, cache_read: 1920, output: 300 }),
      2306,
      '0.005615',
    ],
    [
      'openai_responses',
      'gpt-5',
      {
        input_tokens: 75,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 1186,
        output_tokens_details: { reasoning_tokens: 1024 },
        total_tokens: 1261,
      },
      classes({ input: 75, output: 1186, reasoning: 1024 }),
      1261,
      '0.01195375',
    ],
    [
      'gemini',
      'gemini-2.5-flash',
      {
        promptTokenCount: 1000,
        cachedContentTokenCount: 800,
        toolUsePromptTokenCount: 50,
        candidatesTokenCount: 200,
        thoughtsTokenCount: 300,
        totalTokenCount: 1550,
      },
      classes({ input: 250, cache_read: 800, output: 500, reasoning: 300 }),
      1550,
      '0.001349',
    ],
    [
      'langchain',
      'claude-sonnet-4-5-20250929',
      {
        input_tokens: 350,
        output_tokens: 240,
        total_tokens: 590,
        input_token_details: { cache_creation: 200, cache_read: 100 },
        output_token_details: { reasoning: 200 },
      },
      classes({ input: 50, cache_read: 100, cache_write: 200, output: 240, reasoning: 200 }),
      590,
      '0.00453',
    ],
  ])(
    '%s: classes, counted tokens and exact cost in the answer, the history and the session',
    async (provider, model, usage, expected, tokens, cost) => {
      const s = await newSession({ model, token_budget: { total: 1_000_000 } });
      const res = await s.use({ provider, usage, source: 'agent' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        tokens,
        classes: expected,
        cost_usd: cost,
        price_version: 'catalog:2025-12-01',
        cost: { used_usd: cost, limit_usd: null, position_percent: null },
        token_budget: { used: tokens },
      });
      const [row] = await s.history();
      expect(row).toMatchObject({
        tokens,
        classes: expected,
        cost_usd: cost,
        price_version: 'catalog:2025-12-01',
        provider,
        model: null,
        source: 'agent',
      });
      expect(row!.input_tokens).toBe(expected.input + expected.cache_read + expected.cache_write);
      expect(await s.get()).toMatchObject({ count: 'all', cost: { used_usd: cost } });
    },
  );

  it('sums costs exactly (never a float sum) and prices by the model the update names', async () => {
    const s = await newSession({ model: 'gpt-4o' });
    for (let i = 0; i < 10; i++) await s.use({ provider: 'openai', usage: { prompt_tokens: 1, completion_tokens: 0 } });
    // 10 × 1 × 2.5 µ$ = 0.000025 exactly (0.0000025 added ten times as floats is 0.000024999…).
    expect((await s.get()).cost).toEqual({ used_usd: '0.000025', limit_usd: null, position_percent: null });
    const haiku = await s.use({ provider: 'anthropic', usage: { input_tokens: 1000 }, model: 'claude-haiku-4-5-20251001' });
    expect(haiku.body).toMatchObject({ cost_usd: '0.001', cost: { used_usd: '0.001025' } });
  });

  it('gives no cost to a plain { tokens } update or to a model without a price', async () => {
    const s = await newSession({ model: 'my-own-model' });
    expect((await s.use({ tokens: 10 })).body).toMatchObject({ tokens: 10, classes: null, cost_usd: null, price_version: null });
    expect((await s.use({ input_tokens: 3, output_tokens: 4 })).body).toMatchObject({
      tokens: 7,
      classes: classes({ input: 3, output: 4 }),
      cost_usd: null,
    });
    expect((await s.get()).cost).toMatchObject({ used_usd: '0' });
  });

  it.each([
    [{ provider: 'openai', usage: { prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 11 } } }, 'usage.prompt_tokens_details.cached_tokens'],
    [{ provider: 'gemini', usage: { promptTokenCount: 3, cachedContentTokenCount: 4 } }, 'usage.cachedContentTokenCount'],
    [{ provider: 'anthropic', usage: { input_tokens: 'many' } }, 'usage.input_tokens'],
    [
      { provider: 'langchain', usage: { input_tokens: 1, output_tokens: 1, output_token_details: { reasoning: 5 } } },
      'usage.output_token_details.reasoning',
    ],
    [{ provider: 'anthropic', usage: { input_tokens: 20_000_000 } }, 'usage.input_tokens'],
    [{ provider: 'anthropic', usage: {} }, 'usage'],
    [{ provider: 'anthropic' }, 'usage'],
    [{ usage: { input_tokens: 1 } }, 'provider'],
    [{ provider: 'mistral', usage: { input_tokens: 1 } }, 'provider'],
    [{ provider: 'anthropic', usage: { input_tokens: 1 }, tokens: 5 }, 'tokens'],
  ])('%j is a 400 problem naming %s, and counts nothing', async (body, field) => {
    const s = await newSession();
    const res = await s.use(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.body)).toContain(field);
    expect(await s.history()).toEqual([]);
    expect(await s.get()).toMatchObject({ token_budget: { used: 0 }, cost: { used_usd: '0' } });
  });

  it('replays an Idempotency-Key retry with the same classes and cost, counting once', async () => {
    const s = await newSession({ token_budget: { total: 1_000_000 } });
    const first = await s.use({ provider: 'anthropic', usage: anthropicUsage }, { 'idempotency-key': 'call-1' });
    const again = await s.use({ provider: 'anthropic', usage: anthropicUsage }, { 'idempotency-key': 'call-1' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await s.get()).cost).toMatchObject({ used_usd: '0.03885' });
  });
});

describe('the count setting', () => {
  it('billable_input_output leaves cache reads out of the budget, thresholds and policies included', async () => {
    const s = await newSession({ count: 'billable_input_output', token_budget: { total: 1000 } });
    expect(await s.get()).toMatchObject({ count: 'billable_input_output' });
    // 100000 cached tokens read, 700 billable: 70%, nothing crossed although "all" would be far over.
    const res = await s.use({ provider: 'anthropic', usage: { input_tokens: 600, cache_read_input_tokens: 100_000, output_tokens: 100 } });
    expect(res.body).toMatchObject({ tokens: 700, crossed: [], status: 'active', token_budget: { used: 700 } });
    const next = await s.use({
      provider: 'openai',
      usage: { prompt_tokens: 5100, prompt_tokens_details: { cached_tokens: 5000 }, completion_tokens: 60 },
    });
    expect(next.body).toMatchObject({ tokens: 160, crossed: [75, 85], status: 'emergency_recovery', token_budget: { used: 860 } });
    expect((await eventsOf(t.db, s.id)).filter((e) => e.type === 'session.threshold_crossed').map((e) => e.data.threshold)).toEqual([75, 85]);
  });

  it('all (the default) counts every class; PATCH switches the mode for later updates', async () => {
    const s = await newSession({ token_budget: { total: 1_000_000 } });
    const usage = { input_tokens: 10, cache_read_input_tokens: 1000, output_tokens: 5 };
    expect((await s.use({ provider: 'anthropic', usage })).body.tokens).toBe(1015);
    const patched = await t.http.patch(`/v1/sessions/${s.id}`).set(s.auth).send({ count: 'billable_input_output' });
    expect(patched.status).toBe(200);
    expect(patched.body.count).toBe('billable_input_output');
    expect((await s.use({ provider: 'anthropic', usage })).body).toMatchObject({ tokens: 15, token_budget: { used: 1030 } });
    expect((await t.http.patch(`/v1/sessions/${s.id}`).set(s.auth).send({ count: 'some' })).status).toBe(400);
  });
});

describe('prices', () => {
  it("a project's own prices are a new version: later usage uses them, earlier rows keep their cost", async () => {
    const s = await newSession({ model: 'gpt-4o' });
    const usage = { prompt_tokens: 1000, prompt_tokens_details: { cached_tokens: 400 }, completion_tokens: 100 };
    // 600×2.5 + 400×1.25 + 100×10 = 3000 µ$
    expect((await s.use({ provider: 'openai', usage })).body).toMatchObject({ cost_usd: '0.003', price_version: 'catalog:2025-12-01' });

    const put = await t.http.put('/v1/models/gpt-4o/prices').set(s.auth).send({ input: 2, output: '8', cache_read: '0.5', cache_write: 2 });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      model: 'gpt-4o',
      context_window: 128000,
      prices_usd_per_mtok: { input: '2', output: '8', cache_read: '0.5', cache_write: '2' },
      prices_as_of: null,
      price_version: 'project:1',
    });
    const models = await t.http.get('/v1/models').set(s.auth);
    expect(models.body).toContainEqual(put.body);

    // 600×2 + 400×0.5 + 100×8 = 2200 µ$
    expect((await s.use({ provider: 'openai', usage })).body).toMatchObject({
      cost_usd: '0.0022',
      price_version: 'project:1',
      cost: { used_usd: '0.0052' },
    });
    const second = await t.http.put('/v1/models/gpt-4o/prices').set(s.auth).send({ input: 1, output: 1, cache_read: 1, cache_write: 1 });
    expect(second.body.price_version).toBe('project:2');
    expect((await s.use({ provider: 'openai', usage })).body).toMatchObject({ cost_usd: '0.0011', price_version: 'project:2' });

    const rows = await s.history();
    expect(rows.map((row) => [row.cost_usd, row.price_version])).toEqual([
      ['0.0011', 'project:2'],
      ['0.0022', 'project:1'],
      ['0.003', 'catalog:2025-12-01'],
    ]);
    // Another project still sees the published prices.
    const other = await t.newProject();
    const theirs = (await t.http.get('/v1/models').set(other.auth)).body as { model: string; price_version: string }[];
    expect(theirs.find((m) => m.model === 'gpt-4o')!.price_version).toBe('catalog:2025-12-01');
  });

  it('prices a model only the project knows, and refuses prices that are not exact decimals', async () => {
    const s = await newSession();
    const put = await t.http.put('/v1/models/acme-llm/prices').set(s.auth).send({ input: '0.000001', output: 1, cache_read: 0, cache_write: 0 });
    expect(put.body).toMatchObject({ model: 'acme-llm', context_window: 200000, price_version: 'project:1' });
    // Priced by the project, the model is known to its sessions (test/api/models.test.ts).
    const acme = await t.http.post('/v1/sessions').set(s.auth).send({ task_id: 'TOK-2', model: 'acme-llm' });
    expect(acme.status).toBe(201);
    const used = await t.http.post(`/v1/sessions/${acme.body.session_id}/usage`).set(s.auth).send({ input_tokens: 3, output_tokens: 1 });
    expect(used.body).toMatchObject({ cost_usd: '0.000001000003' });
    for (const bad of [{ input: -1 }, { input: '1e3' }, { input: '0.0000001' }, { input: 'free' }]) {
      const res = await t.http
        .put('/v1/models/acme-llm/prices')
        .set(s.auth)
        .send({ output: 1, cache_read: 0, cache_write: 0, ...bad });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('input');
    }
    expect((await t.http.get('/v1/models').set(s.auth)).body).toContainEqual(
      expect.objectContaining({ model: 'acme-llm', price_version: 'project:1' }),
    );
  });
});

describe('cost limits', () => {
  it('emits session.cost_threshold_crossed once per crossing and shows the cost in the session and the budget', async () => {
    const s = await newSession({ model: 'claude-haiku-4-5-20251001', cost_limit_usd: '0.01', token_budget: { total: 10_000_000 } });
    expect(await s.get()).toMatchObject({ cost: { used_usd: '0', limit_usd: '0.01', position_percent: 0 }, cost_thresholds: [75, 85] });
    // Haiku input is 1 $/MTok: 7000 tokens = 0.007 (70%), then +1000 = 80% (75 crossed), then +2000 = 100% (85 crossed).
    expect((await s.use({ provider: 'anthropic', usage: { input_tokens: 7000 } })).body).toMatchObject({ cost_crossed: [], crossed: [] });
    expect((await s.use({ provider: 'anthropic', usage: { input_tokens: 1000 } })).body).toMatchObject({
      cost_crossed: [75],
      cost: { used_usd: '0.008', limit_usd: '0.01', position_percent: 80 },
    });
    expect((await s.use({ provider: 'anthropic', usage: { input_tokens: 1000 } })).body.cost_crossed).toEqual([85]);
    expect((await s.use({ provider: 'anthropic', usage: { input_tokens: 1000 } })).body.cost_crossed).toEqual([]);
    const events = (await eventsOf(t.db, s.id)).filter((e) => e.type === 'session.cost_threshold_crossed');
    expect(events.map((e) => e.data)).toEqual([
      { session_id: s.id, task_id: 'TOK-1', threshold: 75, used_usd: '0.008', limit_usd: '0.01', position_percent: 80 },
      { session_id: s.id, task_id: 'TOK-1', threshold: 85, used_usd: '0.009', limit_usd: '0.01', position_percent: 90 },
    ]);
    const budget = await t.http.get(`/v1/sessions/${s.id}/budget`).set(s.auth);
    expect(budget.body).toMatchObject({
      count: 'all',
      cost: { used_usd: '0.01', limit_usd: '0.01', position_percent: 100 },
      cost_thresholds: [75, 85],
    });
  });

  it('a lower limit through PATCH crosses cost thresholds too; null removes the limit; bad limits are 400', async () => {
    const s = await newSession({ model: 'claude-haiku-4-5-20251001', cost_thresholds: [50] });
    await s.use({ provider: 'anthropic', usage: { input_tokens: 3000 } }); // 0.003
    const patch = (body: Record<string, unknown>) => t.http.patch(`/v1/sessions/${s.id}`).set(s.auth).send(body);
    expect((await patch({ cost_limit_usd: 0.005 })).body).toMatchObject({ cost: { used_usd: '0.003', limit_usd: '0.005', position_percent: 60 } });
    expect((await patch({ cost_limit_usd: '0.004' })).status).toBe(200);
    const events = (await eventsOf(t.db, s.id)).filter((e) => e.type === 'session.cost_threshold_crossed');
    expect(events.map((e) => e.data.threshold)).toEqual([50]);
    expect((await patch({ cost_limit_usd: null })).body.cost).toEqual({ used_usd: '0.003', limit_usd: null, position_percent: null });
    for (const bad of [{ cost_limit_usd: -1 }, { cost_limit_usd: '0' }, { cost_limit_usd: 'ten' }, { cost_thresholds: [85, 75] }]) {
      expect((await patch(bad)).status).toBe(400);
    }
  });
});
