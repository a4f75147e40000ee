// A model call's usage in the provider's own shape → the classes the service counts and prices.
// Pure: no I/O. Where each rule comes from is in the README ("Token classes and cost").
//
// Classes partition a call's tokens: `input` (uncached input), `cacheRead`, `cacheWrite`, `output`.
// `cacheWrite1h` is the part of `cacheWrite` written to a 1-hour cache (Anthropic prices it apart);
// `reasoning` the part of `output` spent reasoning (shown apart, never added).

export const USAGE_PROVIDERS = ['anthropic', 'openai', 'openai_responses', 'gemini', 'langchain'] as const;
export type UsageProvider = (typeof USAGE_PROVIDERS)[number];

export interface TokenClasses {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  cacheWrite1h: number;
  output: number;
  reasoning: number;
}

export const COUNT_MODES = ['all', 'billable_input_output'] as const;
/** What a session's budget counts: every class (`all`), or every class but cache reads. */
export type CountMode = (typeof COUNT_MODES)[number];

/** A usage object whose numbers are not counts or contradict each other; `field` is its path in the object. */
export type Normalised = { ok: true; classes: TokenClasses } | { ok: false; field: string; message: string };

export const zeroClasses = (): TokenClasses => ({ input: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 0, reasoning: 0 });

/** Every token of a call, each in exactly one class. */
export const totalTokens = (c: TokenClasses): number => c.input + c.cacheRead + c.cacheWrite + c.output;

/** The tokens a session's budget counts for a call. */
export function countedTokens(c: TokenClasses, mode: CountMode): number {
  return mode === 'billable_input_output' ? totalTokens(c) - c.cacheRead : totalTokens(c);
}

class Contradiction extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

type Reader = ((path: string, ...aliases: string[]) => number) & { absent: (path: string) => boolean };

/**
 * A reader of counts at dotted paths of `usage`: missing or null is 0; anything but a whole
 * number ≥ 0 is a contradiction naming the path it was found at. Other fields are never read.
 */
function readerOf(usage: Record<string, unknown>, maxCount: number): Reader {
  const at = (path: string): unknown => {
    let value: unknown = usage;
    for (const part of path.split('.')) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  };
  const read = (path: string, ...aliases: string[]): number => {
    for (const candidate of [path, ...aliases]) {
      const value = at(candidate);
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw new Contradiction(candidate, `${candidate} must be a whole number of tokens ≥ 0, not ${JSON.stringify(value)}`);
      }
      if (value > maxCount) throw new Contradiction(candidate, `${candidate} is ${value}, more than ${maxCount} tokens in one call`);
      return value;
    }
    return 0;
  };
  return Object.assign(read, { absent: (path: string) => at(path) === undefined || at(path) === null });
}

/** `part` is included in `whole`: more of it contradicts the object. */
function within(partField: string, part: number, wholeField: string, whole: number): void {
  if (part > whole) throw new Contradiction(partField, `${partField} (${part}) exceeds ${wholeField} (${whole}), which includes it`);
}

const RULES: Record<UsageProvider, (read: Reader) => TokenClasses> = {
  // Messages API: input_tokens excludes the cache; cache_creation splits cache writes by lifetime.
  anthropic(read) {
    const fiveMinutes = read('cache_creation.ephemeral_5m_input_tokens');
    const oneHour = read('cache_creation.ephemeral_1h_input_tokens');
    // Older answers carry only the total; newer ones both (the total is then the sum of the two).
    const total = read('cache_creation_input_tokens');
    const cacheWrite = total === 0 && read.absent('cache_creation_input_tokens') ? fiveMinutes + oneHour : total;
    within('cache_creation', fiveMinutes + oneHour, 'cache_creation_input_tokens', cacheWrite);
    return {
      input: read('input_tokens'),
      cacheRead: read('cache_read_input_tokens'),
      cacheWrite,
      cacheWrite1h: oneHour,
      output: read('output_tokens'),
      reasoning: 0,
    };
  },
  // Chat Completions: prompt_tokens includes cached_tokens; completion_tokens includes reasoning_tokens.
  openai(read) {
    const prompt = read('prompt_tokens');
    const cached = read('prompt_tokens_details.cached_tokens');
    const completion = read('completion_tokens');
    const reasoning = read('completion_tokens_details.reasoning_tokens');
    within('prompt_tokens_details.cached_tokens', cached, 'prompt_tokens', prompt);
    within('completion_tokens_details.reasoning_tokens', reasoning, 'completion_tokens', completion);
    return { input: prompt - cached, cacheRead: cached, cacheWrite: 0, cacheWrite1h: 0, output: completion, reasoning };
  },
  // Responses API: input_tokens includes cached_tokens; output_tokens includes reasoning_tokens.
  openai_responses(read) {
    const input = read('input_tokens');
    const cached = read('input_tokens_details.cached_tokens');
    const output = read('output_tokens');
    const reasoning = read('output_tokens_details.reasoning_tokens');
    within('input_tokens_details.cached_tokens', cached, 'input_tokens', input);
    within('output_tokens_details.reasoning_tokens', reasoning, 'output_tokens', output);
    return { input: input - cached, cacheRead: cached, cacheWrite: 0, cacheWrite1h: 0, output, reasoning };
  },
  // usageMetadata (REST camelCase, or the Python SDK's snake_case): promptTokenCount includes
  // cachedContentTokenCount; tool-use prompt and thoughts are counted apart from prompt and candidates.
  gemini(read) {
    const prompt = read('promptTokenCount', 'prompt_token_count');
    const cached = read('cachedContentTokenCount', 'cached_content_token_count');
    const toolUse = read('toolUsePromptTokenCount', 'tool_use_prompt_token_count');
    const candidates = read('candidatesTokenCount', 'candidates_token_count');
    const thoughts = read('thoughtsTokenCount', 'thoughts_token_count');
    within('cachedContentTokenCount', cached, 'promptTokenCount', prompt);
    return {
      input: prompt - cached + toolUse,
      cacheRead: cached,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: candidates + thoughts,
      reasoning: thoughts,
    };
  },
  // A message's usage_metadata: input_tokens is the sum of every input type (cache reads and
  // creations included); output_tokens includes reasoning.
  langchain(read) {
    const input = read('input_tokens');
    const cacheRead = read('input_token_details.cache_read');
    const cacheWrite = read('input_token_details.cache_creation');
    const oneHour = read('input_token_details.ephemeral_1h_input_tokens');
    const output = read('output_tokens');
    const reasoning = read('output_token_details.reasoning');
    within('input_token_details.cache_read', cacheRead + cacheWrite, 'input_tokens', input);
    within('input_token_details.ephemeral_1h_input_tokens', oneHour, 'input_token_details.cache_creation', cacheWrite);
    within('output_token_details.reasoning', reasoning, 'output_tokens', output);
    return { input: input - cacheRead - cacheWrite, cacheRead, cacheWrite, cacheWrite1h: oneHour, output, reasoning };
  },
};

/**
 * The classes of one call's `usage` as `provider` reports it. Unknown fields are ignored, missing
 * counts are 0; a count that is not one, or numbers that contradict each other (cached > prompt),
 * fail with the field's path. `maxTokens` caps every count and the call's total.
 */
export function normaliseUsage(provider: UsageProvider, usage: Record<string, unknown>, maxTokens = Number.MAX_SAFE_INTEGER): Normalised {
  try {
    const classes = RULES[provider](readerOf(usage, maxTokens));
    const total = totalTokens(classes);
    if (total > maxTokens) return { ok: false, field: '', message: `${total} tokens in one call is more than ${maxTokens}` };
    return { ok: true, classes };
  } catch (error) {
    if (error instanceof Contradiction) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}

/** Classes of the plain bodies: `{ input_tokens, output_tokens }` (no cache classes). */
export const plainClasses = (input: number, output: number): TokenClasses => ({ ...zeroClasses(), input, output });
