/**
 * A real answer against a vendor document's example, key by key, for answers whose values vary from request to request
 * (a liveness verdict, a token, a video). Where the example's value is a fixed literal of the API (a status, a code,
 * a message) it must be equal; where the document says the value varies, a check stated at that key replaces the
 * equality (a type, an enumeration the document lists, a placeholder's meaning). Keys: each of the example's must be
 * there with the example's JSON type, and none beyond them unless listed as an extension.
 */
import type { Json } from '../helpers/hyperverge-document.js';

export interface Check {
  test: (value: unknown) => boolean;
  /** What a value must be, for the failure message. */
  says: string;
}

export interface MatchOptions {
  /** Dotted path (array items as `[i]`) → the check that replaces equality with the example's value there. */
  checks?: readonly (readonly [RegExp, Check])[];
  /** Keys the answer may have beyond the example's, as dotted paths. */
  extensions?: readonly RegExp[];
  /** Arrays whose length is free: each item is compared with this one example item. */
  items?: readonly (readonly [RegExp, Json])[];
}

/** JSON for a failure message, long values cut (a base64 video would fill the screen). */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

export const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

export const check = {
  string: { test: (v: unknown) => typeof v === 'string' && v.length > 0, says: 'a non-empty string' } satisfies Check,
  integer: { test: (v: unknown) => Number.isInteger(v), says: 'an integer' } satisfies Check,
  oneOf: (...values: readonly (string | number)[]): Check => ({ test: (v) => values.includes(v as string | number), says: `one of ${JSON.stringify(values)}` }),
  equal: (expected: unknown): Check => ({ test: (v) => v === expected, says: JSON.stringify(expected) }),
  both: (a: Check, b: Check): Check => ({ test: (v) => a.test(v) && b.test(v), says: `${a.says} and ${b.says}` }),
  nullOr: (inner: Check): Check => ({ test: (v) => v === null || inner.test(v), says: `null or ${inner.says}` }),
  absoluteUrl: {
    test: (v: unknown) => {
      try {
        return typeof v === 'string' && /^https?:$/.test(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    says: 'an absolute http(s) URL',
  } satisfies Check,
};

/** Every difference between `example` and `actual`; empty when the answer conforms. */
export function mismatches(example: Json, actual: unknown, options: MatchOptions = {}, at = ''): string[] {
  const where = at || '(body)';
  const stated = options.checks?.find(([pattern]) => pattern.test(at));
  if (stated) return stated[1].test(actual) ? [] : [`${where}: expected ${stated[1].says}, got ${show(actual)}`];
  if (typeOf(example) !== typeOf(actual)) return [`${where}: expected ${typeOf(example)} (the document shows ${show(example)}), got ${typeOf(actual)} ${show(actual)}`];
  if (Array.isArray(example)) {
    const list = actual as unknown[];
    const item = options.items?.find(([pattern]) => pattern.test(at));
    if (item) return list.flatMap((value, i) => mismatches(item[1], value, options, `${at}[${i}]`));
    if (list.length !== example.length) return [`${where}: expected ${example.length} items ${show(example)}, got ${show(list)}`];
    return example.flatMap((value, i) => mismatches(value, list[i], options, `${at}[${i}]`));
  }
  if (typeof example === 'object' && example !== null) {
    const object = actual as Record<string, unknown>;
    const found: string[] = [];
    for (const [key, value] of Object.entries(example)) {
      const path = at ? `${at}.${key}` : key;
      if (!(key in object)) found.push(`${path}: missing (the document has ${show(value)})`);
      else found.push(...mismatches(value, object[key], options, path));
    }
    for (const key of Object.keys(object)) {
      const path = at ? `${at}.${key}` : key;
      if (!(key in example) && !(options.extensions ?? []).some((e) => e.test(path))) found.push(`${path}: not in the document (${show(object[key])})`);
    }
    return found;
  }
  return example === actual ? [] : [`${where}: expected ${show(example)}, got ${show(actual)}`];
}

/** A regular expression matching exactly this dotted path. */
export const at = (path: string) => new RegExp(`^${path.replace(/[.[\]]/g, (c) => `\\${c}`)}$`);
