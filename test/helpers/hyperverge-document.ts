/**
 * The example bodies of HyperVerge's Selfie Validation API page (../shared/seeds/hyperverge-check-liveness.txt, the
 * captured vendor document that is the source of truth for the wire format), read out of the document at test time,
 * and a key-by-key comparison of a real answer against one of them.
 *
 * The page prints each example as JSON with `{` alone on its first line: the success body ("Success Response"),
 * three bare `"summary": {…}` fragments ("The Summary Object"), and one body per error tab ("Error Responses"),
 * which its "Error Response Details" table lists again as status code + message.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the captured document lives: ../shared/seeds beside the repository. */
export const HYPERVERGE_DOCUMENT = path.resolve(repoRoot, '..', 'shared', 'seeds', 'hyperverge-check-liveness.txt');

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface DocumentExample {
  /** The document's own words just before the example ("Returned when …", "This is the response where …"). */
  label: string;
  /** 1-based line of the example's first line in the document, for failure messages. */
  line: number;
  body: JsonObject;
}

export interface HyperVergeExamples {
  success: DocumentExample;
  /** The bare `"summary": {…}` fragments, each wrapped as `{ summary: … }`. */
  summaries: DocumentExample[];
  /** Every error body, in document order. */
  errors: DocumentExample[];
  /** "Error Response Details": one row per error, `[status code, error message]`. */
  errorTable: [number, string][];
}

/** Brace depth change of one line, ignoring braces inside JSON strings. */
function depthChange(line: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return depth;
}

/** Reads and parses the document; throws (never skips) when it is absent or not shaped as expected. */
export function readHyperVergeExamples(file = HYPERVERGE_DOCUMENT): HyperVergeExamples {
  if (!existsSync(file)) {
    throw new Error(`vendor document missing: ${file} (the HyperVerge contract tests read it from ../shared/seeds beside the repository)`);
  }
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const bodies: DocumentExample[] = [];
  const summaries: DocumentExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim();
    const fragment = first.startsWith('"summary": {');
    if (first !== '{' && !fragment) continue;
    let depth = 0;
    let end = i;
    for (; end < lines.length; end++) {
      depth += depthChange(lines[end]!);
      if (depth === 0) break;
    }
    if (depth !== 0) throw new Error(`${file}:${i + 1}: example never closes`);
    const text = lines.slice(i, end + 1).join('\n');
    const label = lines[i - 1]!.trim();
    let body: JsonObject;
    try {
      body = JSON.parse(fragment ? `{${text}}` : text) as JsonObject;
    } catch (error) {
      throw new Error(`${file}:${i + 1}: example is not JSON: ${(error as Error).message}`);
    }
    (fragment ? summaries : bodies).push({ label, line: i + 1, body });
    i = end;
  }
  const success = bodies.filter((b) => b.body.status === 'success');
  const errors = bodies.filter((b) => b.body.status === 'failure');
  if (success.length !== 1) throw new Error(`${file}: expected one success example, found ${success.length}`);
  if (success.length + errors.length !== bodies.length) throw new Error(`${file}: an example is neither success nor failure`);

  const tableStart = lines.findIndex((l) => l.trim() === 'Error Response Details');
  if (tableStart < 0) throw new Error(`${file}: no "Error Response Details" table`);
  const errorTable: [number, string][] = [];
  for (const row of lines.slice(tableStart + 1)) {
    const cells = row.split('|').map((c) => c.trim());
    if (!row.trim().startsWith('|')) {
      if (errorTable.length > 0) break;
      continue;
    }
    if (/^\d{3}$/.test(cells[1] ?? '')) errorTable.push([Number(cells[1]), cells[2]!]);
  }
  return { success: success[0]!, summaries, errors, errorTable };
}

/** `<Request_ID>`, `<Transaction_ID>`, `<signed_URL_…>`: the document's stand-ins for per-request values. */
export function isPlaceholder(value: Json): value is string {
  return typeof value === 'string' && /^<[^<>]+>$/.test(value);
}

export interface CompareOptions {
  /** Per placeholder, the check a real value must pass (default: any non-empty string). */
  placeholders?: Record<string, (actual: unknown) => boolean>;
  /** Keys the answer may carry beyond the document's (this service's documented extensions), as dotted paths. */
  extensions?: readonly RegExp[];
}

const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/**
 * Every difference between a document example and a real answer, key by key: each documented key present with the
 * same type; literals (status, codes, messages, example values) equal; placeholders filled by a value that passes
 * their check; no key the document does not have unless it is a listed extension. Empty = the answer matches.
 */
export function differences(documented: Json, actual: unknown, options: CompareOptions = {}, at = ''): string[] {
  const where = at || '(body)';
  if (isPlaceholder(documented)) {
    const check = options.placeholders?.[documented] ?? ((v: unknown) => typeof v === 'string' && v.length > 0);
    return check(actual) ? [] : [`${where}: expected a value for ${documented}, got ${JSON.stringify(actual)}`];
  }
  if (typeOf(documented) !== typeOf(actual)) return [`${where}: expected ${typeOf(documented)} ${JSON.stringify(documented)}, got ${typeOf(actual)} ${JSON.stringify(actual)}`];
  if (Array.isArray(documented)) {
    const list = actual as unknown[];
    if (list.length !== documented.length) return [`${where}: expected ${documented.length} items ${JSON.stringify(documented)}, got ${JSON.stringify(list)}`];
    return documented.flatMap((item, i) => differences(item, list[i], options, `${at}[${i}]`));
  }
  if (typeof documented === 'object' && documented !== null) {
    const object = actual as Record<string, unknown>;
    const found: string[] = [];
    for (const [key, value] of Object.entries(documented)) {
      const path = at ? `${at}.${key}` : key;
      if (!(key in object)) found.push(`${path}: missing (the document has ${JSON.stringify(value)})`);
      else found.push(...differences(value, object[key], options, path));
    }
    for (const key of Object.keys(object)) {
      const path = at ? `${at}.${key}` : key;
      if (!(key in documented) && !(options.extensions ?? []).some((e) => e.test(path))) found.push(`${path}: not in the document (${JSON.stringify(object[key])})`);
    }
    return found;
  }
  return documented === actual ? [] : [`${where}: expected ${JSON.stringify(documented)}, got ${JSON.stringify(actual)}`];
}
