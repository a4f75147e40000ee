// What JSON.parse accepts but PostgreSQL (text, jsonb) and RFC 8785 do not: lone UTF-16 surrogates
// (UTF-8 cannot encode them; jsonb refuses them, text stores U+FFFD), NUL characters (text and jsonb
// refuse them) and numbers beyond double precision (JSON.parse makes them ±Infinity, which jsonb
// stores as null and RFC 8785 refuses). Request bodies are checked here once, as they are parsed.
import type { FieldError } from './errors.js';

/** How many bad values one answer names. */
const MAX_REPORTED = 20;

// With the `u` flag a lone surrogate is a code point of category Cs; a surrogate pair is not.
const UNSTORABLE_CHARACTER = /[\0\p{Cs}]/u;

function stringProblem(value: string): string | undefined {
  if (!UNSTORABLE_CHARACTER.test(value)) return undefined;
  return value.includes('\0')
    ? 'contains a NUL character (\\u0000), which PostgreSQL cannot store'
    : 'contains a lone UTF-16 surrogate (e.g. \\ud800), which UTF-8 cannot encode';
}

const NUMBER_OUT_OF_RANGE = 'is a number beyond the range of a double (about ±1.8e308)';

/** Fast pass, no paths built: true when every string, field name and number can be stored. */
function storable(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return !UNSTORABLE_CHARACTER.test(value);
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      // Indexed loops over Object.keys: a third faster than for...of / for...in here.
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!storable(value[i])) return false;
        return true;
      }
      const keys = Object.keys(value);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (UNSTORABLE_CHARACTER.test(key) || !storable((value as Record<string, unknown>)[key])) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

function collect(value: unknown, path: string, found: FieldError[]): void {
  if (found.length >= MAX_REPORTED) return;
  if (typeof value === 'string') {
    const message = stringProblem(value);
    if (message) found.push({ path, message });
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) found.push({ path, message: NUMBER_OUT_OF_RANGE });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => collect(item, `${path}.${index}`, found));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const keyMessage = stringProblem(key);
      if (keyMessage) {
        if (found.length < MAX_REPORTED) found.push({ path, message: `has a field name that ${keyMessage}` });
        continue;
      }
      collect(item, `${path}.${key}`, found);
    }
  }
}

/**
 * The values of a parsed JSON document that cannot be stored, each with its path under `root`
 * (`body.context.list.1`, as validation errors name fields); empty when all can.
 */
export function unstorableValues(value: unknown, root: string): FieldError[] {
  if (storable(value)) return [];
  const found: FieldError[] = [];
  collect(value, root, found);
  return found;
}

// A JSON text without `\u` escapes has neither lone surrogates nor NUL characters once it is valid
// UTF-8 (UTF-8 cannot encode surrogates; a raw control character is not JSON). A number literal
// overflows a double only with an exponent of 3 or more digits, or with 200 or more digits before
// it (1e199 × 10^99 is still finite).
const BIG_EXPONENT = /[eE]\+?\d{3}/;
const LONG_DIGITS = /\d{200}/;
const SAMPLE_STEP = 100;
const isDigitAt = (text: string, index: number) => {
  const code = text.charCodeAt(index);
  return code >= 48 && code <= 57;
};

/**
 * A run of 200 digits covers two consecutive multiples of 100: sampling those positions finds every
 * candidate in a few hundred reads, where a regex would try each position (10× the cost).
 */
function hasLongDigitRun(text: string): boolean {
  for (let at = SAMPLE_STEP; at < text.length; at += SAMPLE_STEP) {
    if (
      isDigitAt(text, at) &&
      isDigitAt(text, at - SAMPLE_STEP) &&
      LONG_DIGITS.test(text.slice(Math.max(0, at - 2 * SAMPLE_STEP), at + 2 * SAMPLE_STEP))
    ) {
      return true;
    }
  }
  return false;
}

/** True when the text of a JSON document could hold an unstorable value (the check above is then run). */
export const mayHoldUnstorable = (text: string): boolean => text.includes('\\u') || BIG_EXPONENT.test(text) || hasLongDigitRun(text);
