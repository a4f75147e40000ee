import { describe, expect, it } from 'vitest';
import type { OtlpAttributes, OtlpValue } from '../../src/modules/otlp/otlp-model.js';
import { claudeCodeTokenClasses, recordedUsage, spanTokenClasses, tokenCount } from '../../src/modules/otlp/token-classes.js';

const int = (value: number | bigint): OtlpValue => ({ kind: 'int', value: BigInt(value) });
const double = (value: number): OtlpValue => ({ kind: 'double', value });
const str = (value: string): OtlpValue => ({ kind: 'string', value });
const attrs = (entries: Record<string, OtlpValue>): OtlpAttributes => new Map(Object.entries(entries));
const classes = (input: number, cacheRead: number, cacheWrite: number, output: number, reasoning = 0) => ({
  kind: 'classes',
  classes: { input, cacheRead, cacheWrite, output, reasoning },
});

describe('spanTokenClasses', () => {
  it.each<[string, Record<string, OtlpValue>, unknown]>([
    [
      'current names: input includes the cache, reasoning is part of output',
      {
        'gen_ai.usage.input_tokens': int(1000),
        'gen_ai.usage.cache_read.input_tokens': int(600),
        'gen_ai.usage.cache_creation.input_tokens': int(100),
        'gen_ai.usage.output_tokens': int(300),
        'gen_ai.usage.reasoning.output_tokens': int(120),
      },
      classes(300, 600, 100, 300, 120),
    ],
    [
      'prompt_tokens / completion_tokens (semantic conventions before 1.27, OpenLLMetry)',
      {
        'gen_ai.usage.prompt_tokens': int(50),
        'gen_ai.usage.completion_tokens': int(7),
      },
      classes(50, 0, 0, 7),
    ],
    [
      'OpenLLMetry cache and reasoning names',
      {
        'gen_ai.usage.prompt_tokens': int(500),
        'gen_ai.usage.cache_read_input_tokens': int(400),
        'gen_ai.usage.cache_creation_input_tokens': int(50),
        'gen_ai.usage.completion_tokens': int(90),
        'gen_ai.usage.reasoning_tokens': int(60),
      },
      classes(50, 400, 50, 90, 60),
    ],
    [
      'the current name wins over its predecessor',
      {
        'gen_ai.usage.input_tokens': int(10),
        'gen_ai.usage.prompt_tokens': int(999),
        'gen_ai.usage.output_tokens': int(2),
      },
      classes(10, 0, 0, 2),
    ],
    ['only output', { 'gen_ai.usage.output_tokens': int(5) }, classes(0, 0, 0, 5)],
    ['whole doubles and digit strings', { 'gen_ai.usage.input_tokens': double(12), 'gen_ai.usage.output_tokens': str('3') }, classes(12, 0, 0, 3)],
    ['no usage attribute at all', { 'gen_ai.request.model': str('gpt-4o'), 'http.status_code': int(200) }, { kind: 'none' }],
  ])('%s', (_name, entries, expected) => {
    expect(spanTokenClasses(attrs(entries))).toEqual(expected);
  });

  it.each<[string, Record<string, OtlpValue>, string]>([
    [
      'a negative count',
      { 'gen_ai.usage.input_tokens': int(-5), 'gen_ai.usage.output_tokens': int(1) },
      'gen_ai.usage.input_tokens is negative (-5)',
    ],
    ['a fractional count', { 'gen_ai.usage.output_tokens': double(2.5) }, 'gen_ai.usage.output_tokens is not a whole number (2.5)'],
    ['an absurd count', { 'gen_ai.usage.input_tokens': int(10n ** 15n) }, 'more than 10000000 tokens in one call'],
    ['an absurd sum', { 'gen_ai.usage.input_tokens': int(6_000_000), 'gen_ai.usage.output_tokens': int(6_000_000) }, '12000000 tokens in one call'],
    ['text', { 'gen_ai.usage.input_tokens': str('many') }, 'gen_ai.usage.input_tokens is not a number of tokens'],
    ['NaN', { 'gen_ai.usage.input_tokens': double(Number.NaN) }, 'not a whole number'],
    [
      'more cache than input, which includes it',
      { 'gen_ai.usage.input_tokens': int(100), 'gen_ai.usage.cache_read.input_tokens': int(150) },
      'gen_ai.usage.cache_read.input_tokens (150) exceed gen_ai.usage.input_tokens (100), which includes them',
    ],
    [
      'more reasoning than output, which includes it',
      { 'gen_ai.usage.output_tokens': int(10), 'gen_ai.usage.reasoning.output_tokens': int(11) },
      'gen_ai.usage.reasoning.output_tokens (11) exceeds gen_ai.usage.output_tokens (10)',
    ],
  ])('refuses %s', (_name, entries, reason) => {
    const mapping = spanTokenClasses(attrs(entries));
    expect(mapping.kind).toBe('invalid');
    expect(mapping.kind === 'invalid' && mapping.reason).toContain(reason);
  });
});

describe('claudeCodeTokenClasses', () => {
  it("reads Anthropic's counts: input_tokens is uncached input, the cache counts are apart", () => {
    const mapping = claudeCodeTokenClasses(
      attrs({
        input_tokens: str('12'),
        output_tokens: str('845'),
        cache_read_tokens: str('38012'),
        cache_creation_tokens: str('1520'),
        cost_usd: str('0.0291'),
      }),
    );
    expect(mapping).toEqual(classes(12, 38012, 1520, 845));
  });

  it('takes counts as ints too, and missing ones as 0', () => {
    expect(claudeCodeTokenClasses(attrs({ input_tokens: int(7), output_tokens: int(3) }))).toEqual(classes(7, 0, 0, 3));
  });

  it('finds no usage in an event without counts, and refuses a bad one', () => {
    expect(claudeCodeTokenClasses(attrs({ model: str('claude-sonnet-4-5') }))).toEqual({ kind: 'none' });
    expect(claudeCodeTokenClasses(attrs({ input_tokens: str('-1') }))).toEqual({ kind: 'invalid', reason: 'input_tokens is negative (-1)' });
  });
});

describe('recordedUsage', () => {
  it('records all input (uncached and cached) as input_tokens and all output, reasoning included, as output_tokens', () => {
    expect(recordedUsage({ input: 300, cacheRead: 600, cacheWrite: 100, output: 300, reasoning: 120 })).toEqual({
      inputTokens: 1000,
      outputTokens: 300,
    });
  });
});

describe('tokenCount', () => {
  it.each<[string, OtlpValue, number | undefined]>([
    ['int 0', int(0), 0],
    ['" 42 "', str(' 42 '), 42],
    ['"42.0"', str('42.0'), 42],
    ['double 1000', double(1e3), 1000],
    ['"4e2"', str('4e2'), undefined],
    ['a bool', { kind: 'bool', value: true }, undefined],
    ['an array', { kind: 'array', values: [int(1)] }, undefined],
  ])('reads %s as %s', (_name, value, expected) => {
    const count = tokenCount('n', value);
    expect(count.ok ? count.value : undefined).toBe(expected);
  });
});
