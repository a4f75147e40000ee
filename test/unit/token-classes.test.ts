import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pricesOf } from '../../src/domain/model-catalog.js';
import { COST_DECIMALS, PRICE_DECIMALS, costPositionPercent, costUsd, formatScaled, type ModelPrices } from '../../src/domain/prices.js';
import { countedTokens, normaliseUsage, totalTokens, type TokenClasses, type UsageProvider } from '../../src/domain/token-classes.js';

const price = (model: string): ModelPrices => pricesOf(model)!.prices;

interface Fixture {
  name: string;
  provider: UsageProvider;
  model: string;
  usage: Record<string, unknown>;
  classes: Partial<TokenClasses>;
  all: number;
  billable: number;
  cost: string;
}

// Usage objects as the providers document them (README, "Token classes and cost").
const FIXTURES: Fixture[] = [
  {
    name: 'Anthropic Messages: cache read, 5-minute and 1-hour cache writes',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    usage: {
      input_tokens: 50,
      cache_read_input_tokens: 100_000,
      cache_creation_input_tokens: 248,
      cache_creation: { ephemeral_5m_input_tokens: 148, ephemeral_1h_input_tokens: 100 },
      output_tokens: 503,
      service_tier: 'standard',
      server_tool_use: { web_search_requests: 0 },
    },
    classes: { input: 50, cacheRead: 100_000, cacheWrite: 248, cacheWrite1h: 100, output: 503 },
    all: 100_801,
    billable: 801,
    // 50×3 + 100000×0.3 + 148×3.75 + 100×6 + 503×15 = 38850 µ$
    cost: '0.03885',
  },
  {
    name: 'Anthropic Messages: no cache fields (before prompt caching)',
    provider: 'anthropic',
    model: 'claude-haiku-4-5-20251001',
    usage: { input_tokens: 2095, output_tokens: 503 },
    classes: { input: 2095, output: 503 },
    all: 2598,
    billable: 2598,
    cost: '0.004610',
  },
  {
    name: 'OpenAI Chat Completions: prompt caching guide',
    provider: 'openai',
    model: 'gpt-4o',
    usage: {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    classes: { input: 86, cacheRead: 1920, output: 300 },
    all: 2306,
    billable: 386,
    cost: '0.005615',
  },
  {
    name: 'OpenAI Chat Completions: a reasoning model with cached input',
    provider: 'openai',
    model: 'gpt-5',
    usage: {
      prompt_tokens: 1486,
      completion_tokens: 651,
      total_tokens: 2137,
      prompt_tokens_details: { cached_tokens: 1408, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 512, audio_tokens: 0 },
    },
    classes: { input: 78, cacheRead: 1408, output: 651, reasoning: 512 },
    all: 2137,
    billable: 729,
    cost: '0.0067835',
  },
  {
    name: 'OpenAI Responses: reasoning guide',
    provider: 'openai_responses',
    model: 'gpt-5',
    usage: {
      input_tokens: 75,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 1186,
      output_tokens_details: { reasoning_tokens: 1024 },
      total_tokens: 1261,
    },
    classes: { input: 75, output: 1186, reasoning: 1024 },
    all: 1261,
    billable: 1261,
    cost: '0.01195375',
  },
  {
    name: 'Gemini usageMetadata: cached content, tool-use prompt and thoughts',
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    usage: {
      promptTokenCount: 1000,
      cachedContentTokenCount: 800,
      toolUsePromptTokenCount: 50,
      candidatesTokenCount: 200,
      thoughtsTokenCount: 300,
      totalTokenCount: 1550,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 1000 }],
    },
    classes: { input: 250, cacheRead: 800, output: 500, reasoning: 300 },
    all: 1550,
    billable: 750,
    cost: '0.001349',
  },
  {
    name: 'Gemini usage_metadata from the Python SDK (snake_case)',
    provider: 'gemini',
    model: 'gemini-2.5-pro',
    usage: { prompt_token_count: 11, candidates_token_count: 395, thoughts_token_count: 1024, total_token_count: 1430 },
    classes: { input: 11, output: 1419, reasoning: 1024 },
    all: 1430,
    billable: 1430,
    cost: '0.01420375',
  },
  {
    name: "LangChain usage_metadata: the UsageMetadata reference's example",
    provider: 'langchain',
    model: 'claude-sonnet-4-5-20250929',
    usage: {
      input_tokens: 350,
      output_tokens: 240,
      total_tokens: 590,
      input_token_details: { audio: 10, cache_creation: 200, cache_read: 100 },
      output_token_details: { audio: 10, reasoning: 200 },
    },
    classes: { input: 50, cacheRead: 100, cacheWrite: 200, output: 240, reasoning: 200 },
    all: 590,
    billable: 490,
    cost: '0.00453',
  },
];

describe('provider usage → token classes', () => {
  it.each(FIXTURES)('$name', (fixture) => {
    const result = normaliseUsage(fixture.provider, fixture.usage);
    const expected: TokenClasses = { input: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 0, reasoning: 0, ...fixture.classes };
    expect(result).toEqual({ ok: true, classes: expected });
    expect(countedTokens(expected, 'all')).toBe(fixture.all);
    expect(countedTokens(expected, 'billable_input_output')).toBe(fixture.billable);
    expect(costUsd(expected, price(fixture.model))).toBe(fixture.cost.replace(/0+$/, ''));
  });

  it.each<[UsageProvider, Record<string, unknown>, string]>([
    ['openai', { prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 11 }, completion_tokens: 1 }, 'prompt_tokens_details.cached_tokens'],
    [
      'openai',
      { prompt_tokens: 10, completion_tokens: 1, completion_tokens_details: { reasoning_tokens: 2 } },
      'completion_tokens_details.reasoning_tokens',
    ],
    ['openai_responses', { input_tokens: 5, input_tokens_details: { cached_tokens: 6 }, output_tokens: 1 }, 'input_tokens_details.cached_tokens'],
    [
      'openai_responses',
      { input_tokens: 5, output_tokens: 1, output_tokens_details: { reasoning_tokens: 9 } },
      'output_tokens_details.reasoning_tokens',
    ],
    ['gemini', { promptTokenCount: 3, cachedContentTokenCount: 4 }, 'cachedContentTokenCount'],
    [
      'anthropic',
      { input_tokens: 1, cache_creation_input_tokens: 10, cache_creation: { ephemeral_5m_input_tokens: 8, ephemeral_1h_input_tokens: 8 } },
      'cache_creation',
    ],
    ['langchain', { input_tokens: 10, input_token_details: { cache_read: 8, cache_creation: 8 } }, 'input_token_details.cache_read'],
    ['langchain', { input_tokens: 10, output_tokens: 1, output_token_details: { reasoning: 2 } }, 'output_token_details.reasoning'],
    ['anthropic', { input_tokens: -1 }, 'input_tokens'],
    ['openai', { prompt_tokens: '12' }, 'prompt_tokens'],
    ['gemini', { candidatesTokenCount: 1.5 }, 'candidatesTokenCount'],
  ])('%s: contradictory or non-count %j fails naming %s', (provider, usage, field) => {
    const result = normaliseUsage(provider, usage);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.field).toBe(field);
      expect(result.message).toContain(field);
    }
  });

  it('ignores unknown fields and counts missing ones as 0', () => {
    expect(normaliseUsage('openai', { completion_tokens: 7, some_new_field: { x: 'y' }, prompt_tokens_details: null })).toEqual({
      ok: true,
      classes: { input: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 7, reasoning: 0 },
    });
  });

  it('refuses a call of more tokens than the cap, naming the field', () => {
    const result = normaliseUsage('anthropic', { input_tokens: 11 }, 10);
    expect(result).toMatchObject({ ok: false, field: 'input_tokens' });
    expect(normaliseUsage('anthropic', { input_tokens: 6, output_tokens: 6 }, 10)).toMatchObject({ ok: false });
  });
});

// A usage object of each provider built from chosen classes, as that provider would report them.
const count = fc.integer({ min: 0, max: 2_000_000 });
const classesArb = fc
  .record({
    input: count,
    cacheRead: count,
    cacheWrite: count,
    oneHourShare: fc.double({ min: 0, max: 1, noNaN: true }),
    output: count,
    reasoningShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ oneHourShare, reasoningShare, ...c }) => ({
    ...c,
    cacheWrite1h: Math.floor(c.cacheWrite * oneHourShare),
    reasoning: Math.floor(c.output * reasoningShare),
  }));

function reportAs(provider: UsageProvider, c: TokenClasses): { usage: Record<string, unknown>; reported: number; expected: TokenClasses } {
  switch (provider) {
    case 'anthropic':
      return {
        usage: {
          input_tokens: c.input,
          cache_read_input_tokens: c.cacheRead,
          cache_creation_input_tokens: c.cacheWrite,
          cache_creation: { ephemeral_5m_input_tokens: c.cacheWrite - c.cacheWrite1h, ephemeral_1h_input_tokens: c.cacheWrite1h },
          output_tokens: c.output,
        },
        reported: c.input + c.cacheRead + c.cacheWrite + c.output,
        expected: { ...c, reasoning: 0 },
      };
    case 'openai': {
      // No cache writes in OpenAI's object: they are plain input.
      const prompt = c.input + c.cacheWrite + c.cacheRead;
      return {
        usage: {
          prompt_tokens: prompt,
          prompt_tokens_details: { cached_tokens: c.cacheRead },
          completion_tokens: c.output,
          completion_tokens_details: { reasoning_tokens: c.reasoning },
        },
        reported: prompt + c.output,
        expected: { ...c, input: c.input + c.cacheWrite, cacheWrite: 0, cacheWrite1h: 0 },
      };
    }
    case 'openai_responses': {
      const input = c.input + c.cacheWrite + c.cacheRead;
      return {
        usage: {
          input_tokens: input,
          input_tokens_details: { cached_tokens: c.cacheRead },
          output_tokens: c.output,
          output_tokens_details: { reasoning_tokens: c.reasoning },
        },
        reported: input + c.output,
        expected: { ...c, input: c.input + c.cacheWrite, cacheWrite: 0, cacheWrite1h: 0 },
      };
    }
    case 'gemini': {
      const toolUse = Math.floor(c.input / 3);
      const prompt = c.input - toolUse + c.cacheWrite + c.cacheRead;
      return {
        usage: {
          promptTokenCount: prompt,
          cachedContentTokenCount: c.cacheRead,
          toolUsePromptTokenCount: toolUse,
          candidatesTokenCount: c.output - c.reasoning,
          thoughtsTokenCount: c.reasoning,
          totalTokenCount: prompt + toolUse + c.output,
        },
        reported: prompt + toolUse + c.output,
        expected: { ...c, input: c.input + c.cacheWrite, cacheWrite: 0, cacheWrite1h: 0 },
      };
    }
    case 'langchain': {
      const input = c.input + c.cacheRead + c.cacheWrite;
      return {
        usage: {
          input_tokens: input,
          output_tokens: c.output,
          total_tokens: input + c.output,
          input_token_details: { cache_read: c.cacheRead, cache_creation: c.cacheWrite, ephemeral_1h_input_tokens: c.cacheWrite1h },
          output_token_details: { reasoning: c.reasoning },
        },
        reported: input + c.output,
        expected: c,
      };
    }
  }
}

const priceArb = fc.integer({ min: 0, max: 200 * 10 ** PRICE_DECIMALS }).map((scaled) => formatScaled(BigInt(scaled), PRICE_DECIMALS));
const pricesArb = fc.record({
  input: priceArb,
  output: priceArb,
  cacheRead: priceArb,
  cacheWrite: priceArb,
  cacheWrite1h: fc.option(priceArb, { nil: null }),
});

describe('property: any usage object of any provider', () => {
  it('puts every token in exactly one class, and costs Σ class × price', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<UsageProvider>('anthropic', 'openai', 'openai_responses', 'gemini', 'langchain'),
        classesArb,
        pricesArb,
        (provider, chosen, prices) => {
          const { usage, reported, expected } = reportAs(provider, chosen);
          const result = normaliseUsage(provider, usage);
          expect(result).toEqual({ ok: true, classes: expected });
          if (!result.ok) return;
          const c = result.classes;
          // Each token once: the classes add up to what the provider reported, none negative.
          expect(totalTokens(c)).toBe(reported);
          for (const value of Object.values(c)) expect(value).toBeGreaterThanOrEqual(0);
          expect(c.reasoning).toBeLessThanOrEqual(c.output);
          expect(c.cacheWrite1h).toBeLessThanOrEqual(c.cacheWrite);
          // Σ class × price, in exact rational arithmetic: cost × 10^12 = Σ tokens × price × 10^6.
          const micro = (value: string) => BigInt(Math.round(Number(value) * 10 ** PRICE_DECIMALS));
          const expectedPico =
            BigInt(c.input) * micro(prices.input) +
            BigInt(c.cacheRead) * micro(prices.cacheRead) +
            BigInt(c.cacheWrite - c.cacheWrite1h) * micro(prices.cacheWrite) +
            BigInt(c.cacheWrite1h) * micro(prices.cacheWrite1h ?? prices.cacheWrite) +
            BigInt(c.output) * micro(prices.output);
          expect(costUsd(c, prices)).toBe(formatScaled(expectedPico, COST_DECIMALS));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('cost position', () => {
  it('rounds used / limit × 100 half up to 2 decimals, exactly', () => {
    expect(costPositionPercent('0.038625', '0.1')).toBe(38.63);
    expect(costPositionPercent('0.0386249', '0.1')).toBe(38.62);
    expect(costPositionPercent('1', '3')).toBe(33.33);
    expect(costPositionPercent('2', '3')).toBe(66.67);
    expect(costPositionPercent('0', '0.01')).toBe(0);
    expect(costPositionPercent('5', null)).toBeNull();
  });
});
