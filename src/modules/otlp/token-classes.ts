// Token counts from telemetry attributes, in the classes of the provider-usage work (issue 14):
// `input` is uncached input only, `cache_read` and `cache_write` the cached input, `output` all
// output tokens and `reasoning` the part of `output` spent reasoning (shown apart, not added).
// Pure functions: the README's attribute table says where each name comes from.
import { MAX_TOKENS_PER_UPDATE } from '../usage/usage.schemas.js';
import type { OtlpAttributes, OtlpValue } from './otlp-model.js';

export interface TokenClasses {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
}

export type TokenMapping = { kind: 'none' } | { kind: 'classes'; classes: TokenClasses } | { kind: 'invalid'; reason: string };

type TokenClass = keyof TokenClasses;

/**
 * GenAI semantic conventions on spans, the current name first, then its predecessors (still sent by
 * older instrumentations). `gen_ai.usage.input_tokens` includes cached input; reasoning is part of output.
 */
export const SPAN_TOKEN_ATTRIBUTES: Readonly<Record<TokenClass, readonly string[]>> = {
  input: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'],
  output: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'],
  cacheRead: ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens'],
  cacheWrite: ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens'],
  reasoning: ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens'],
};

/** Claude Code's `claude_code.api_request` event: Anthropic's counts, `input_tokens` excluding the cache. */
export const CLAUDE_CODE_TOKEN_ATTRIBUTES: Readonly<Record<Exclude<TokenClass, 'reasoning'>, string>> = {
  input: 'input_tokens',
  output: 'output_tokens',
  cacheRead: 'cache_read_tokens',
  cacheWrite: 'cache_creation_tokens',
};

type Count = { ok: true; value: number } | { ok: false; reason: string };

/**
 * A token count: an int, a double holding a whole number, or a string of decimal digits (Claude Code
 * sends its counts as strings). Negative, fractional, non-numeric or absurd (> MAX_TOKENS_PER_UPDATE)
 * values are refused.
 */
export function tokenCount(name: string, value: OtlpValue): Count {
  let count: number | bigint;
  if (value.kind === 'int') count = value.value;
  else if (value.kind === 'double') count = value.value;
  else if (value.kind === 'string' && /^\s*-?\d+(?:\.0+)?\s*$/.test(value.value)) count = Number(value.value);
  else return { ok: false, reason: `${name} is not a number of tokens` };
  if (typeof count === 'number' && !Number.isInteger(count)) return { ok: false, reason: `${name} is not a whole number (${count})` };
  if (count < 0) return { ok: false, reason: `${name} is negative (${count})` };
  if (count > MAX_TOKENS_PER_UPDATE) return { ok: false, reason: `${name} is ${count}, more than ${MAX_TOKENS_PER_UPDATE} tokens in one call` };
  return { ok: true, value: Number(count) };
}

/** The first of `names` present, as a count; undefined when none is. */
function firstCount(attributes: OtlpAttributes, names: readonly string[]): (Count & { name: string }) | undefined {
  for (const name of names) {
    const value = attributes.get(name);
    if (value !== undefined && value.kind !== 'empty') return { ...tokenCount(name, value), name };
  }
  return undefined;
}

function checkedTotal(classes: TokenClasses): TokenMapping {
  const total = classes.input + classes.cacheRead + classes.cacheWrite + classes.output;
  if (total > MAX_TOKENS_PER_UPDATE) return { kind: 'invalid', reason: `${total} tokens in one call is more than ${MAX_TOKENS_PER_UPDATE}` };
  return { kind: 'classes', classes };
}

/** The classes of a span's `gen_ai.usage.*` attributes; `none` when it carries none of them. */
export function spanTokenClasses(attributes: OtlpAttributes): TokenMapping {
  const found = {} as Record<TokenClass, (Count & { name: string }) | undefined>;
  for (const [tokenClass, names] of Object.entries(SPAN_TOKEN_ATTRIBUTES) as [TokenClass, readonly string[]][]) {
    found[tokenClass] = firstCount(attributes, names);
  }
  const present = Object.values(found).filter((count) => count !== undefined);
  if (present.length === 0) return { kind: 'none' };
  const refused = present.find((count) => !count.ok);
  if (refused && !refused.ok) return { kind: 'invalid', reason: refused.reason };
  const value = (tokenClass: TokenClass) => (found[tokenClass]?.ok ? found[tokenClass].value : 0);
  const [input, cacheRead, cacheWrite, output, reasoning] = (['input', 'cacheRead', 'cacheWrite', 'output', 'reasoning'] as const).map(value) as [
    number,
    number,
    number,
    number,
    number,
  ];
  // The conventions count cached input inside gen_ai.usage.input_tokens; more cache than input contradicts them.
  if (cacheRead + cacheWrite > input) {
    const names = [found.cacheRead?.name, found.cacheWrite?.name].filter(Boolean).join(' + ');
    return {
      kind: 'invalid',
      reason: `${names} (${cacheRead + cacheWrite}) exceed ${found.input?.name ?? SPAN_TOKEN_ATTRIBUTES.input[0]} (${input}), which includes them`,
    };
  }
  if (reasoning > output) {
    return {
      kind: 'invalid',
      reason: `${found.reasoning!.name} (${reasoning}) exceeds ${found.output?.name ?? SPAN_TOKEN_ATTRIBUTES.output[0]} (${output}), which includes it`,
    };
  }
  return checkedTotal({ input: input - cacheRead - cacheWrite, cacheRead, cacheWrite, output, reasoning });
}

/** The classes of a Claude Code `api_request` event; `none` when it carries no count at all. */
export function claudeCodeTokenClasses(attributes: OtlpAttributes): TokenMapping {
  const classes: TokenClasses = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 };
  let present = false;
  for (const [tokenClass, name] of Object.entries(CLAUDE_CODE_TOKEN_ATTRIBUTES) as [Exclude<TokenClass, 'reasoning'>, string][]) {
    const count = firstCount(attributes, [name]);
    if (!count) continue;
    if (!count.ok) return { kind: 'invalid', reason: count.reason };
    classes[tokenClass] = count.value;
    present = true;
  }
  return present ? checkedTotal(classes) : { kind: 'none' };
}

/**
 * All input, cached or not, as input_tokens, and all output (reasoning included) as output_tokens:
 * what an item's Idempotency-Key hash was computed over before the classes were stored.
 */
export function recordedUsage(classes: TokenClasses): { inputTokens: number; outputTokens: number } {
  return { inputTokens: classes.input + classes.cacheRead + classes.cacheWrite, outputTokens: classes.output };
}
