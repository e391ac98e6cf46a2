/**
 * What the conformance suite reads out of the vendor documents (../shared/seeds, the captured pages that are the source
 * of truth for every wire format), at test time, so a check follows the page rather than a copy of it:
 * - HyperVerge (via ../helpers/hyperverge-document.ts for the examples): the "Success Response Details" table, each
 *   row's path, type and, where the description lists them ("Returns yes or no."), the values it may take;
 * - ADVANCE.AI Get Video: the example body of each response code ("Response Examples");
 * - Tencent ESS DescribeSignFaceVideo: the output parameters ("3. 输出参数": name, type, whether "may be null"), the
 *   output example ("输出示例") and the API's error codes ("5. 错误码").
 * Each reader throws (never skips) when its document is missing or not shaped as expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HYPERVERGE_DOCUMENT, type Json, type JsonObject } from '../helpers/hyperverge-document.js';

export const SEEDS_DIR = path.dirname(HYPERVERGE_DOCUMENT);

function readDocument(name: string): string[] {
  const file = path.join(SEEDS_DIR, name);
  if (!existsSync(file)) throw new Error(`vendor document missing: ${file} (the conformance suite reads ../shared/seeds beside the repository)`);
  return readFileSync(file, 'utf8').split(/\r?\n/);
}

/** The JSON value that starts at `lines[start]` (a line that is `{`), and the index of its last line. */
function jsonAt(lines: readonly string[], start: number, what: string): { value: JsonObject; end: number } {
  for (let end = start; end < lines.length; end++) {
    try {
      return { value: JSON.parse(lines.slice(start, end + 1).join('\n')) as JsonObject, end };
    } catch {
      // not closed yet
    }
  }
  throw new Error(`${what}: the example at line ${start + 1} never parses as JSON`);
}

export interface SuccessField {
  /** Dotted path, e.g. `result.details.liveFace.value`. */
  path: string;
  type: 'string' | 'integer' | 'array';
  /** The values the description lists ("Returns yes or no." → yes, no; "Returns 200 on success." → 200), if any. */
  values?: (string | number)[];
}

/** HyperVerge "Success Response Details": `| path | type | description |` rows. */
export function hyperVergeSuccessFields(): SuccessField[] {
  const lines = readDocument('hyperverge-check-liveness.txt');
  const start = lines.findIndex((l) => l.trim() === 'Success Response Details');
  if (start < 0) throw new Error('hyperverge-check-liveness.txt: no "Success Response Details" table');
  const fields: SuccessField[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.trim().startsWith('|')) {
      if (fields.length > 0) break;
      continue;
    }
    const [, name, type, description] = line.split('|').map((cell) => cell.trim());
    if (!name || name === 'Parameter' || /^-+$/.test(name)) continue;
    if (type !== 'string' && type !== 'integer' && type !== 'array') throw new Error(`hyperverge-check-liveness.txt: row ${name} has type "${type}"`);
    const field: SuccessField = { path: name, type };
    const listed = /\bReturns ((?:\w+, )*\w+,? or \w+)\./.exec(description ?? '');
    const single = /\bReturns (\w+) (?:for|on)\b/.exec(description ?? '');
    const words = listed ? listed[1]!.split(/,? or |, /) : single ? [single[1]!] : undefined;
    if (words) field.values = words.map((w) => (type === 'integer' ? Number(w) : w));
    fields.push(field);
  }
  if (fields.length < 10) throw new Error(`hyperverge-check-liveness.txt: "Success Response Details" has ${fields.length} rows`);
  return fields;
}

/** ADVANCE.AI Get Video "Response Examples": code → the example body (the page prints PARAMETER_ERROR twice, the same). */
export function advanceExamples(): Map<string, JsonObject> {
  const lines = readDocument('advance-ai-get-video.txt');
  const start = lines.findIndex((l) => l.trim() === 'Response Examples');
  if (start < 0) throw new Error('advance-ai-get-video.txt: no "Response Examples"');
  const examples = new Map<string, JsonObject>();
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i]!.trim() !== '{') continue;
    const { value, end } = jsonAt(lines, i, 'advance-ai-get-video.txt');
    const label = lines.slice(start, i).reverse().find((l) => l.trim() !== '')!.trim();
    if (label !== value.code) throw new Error(`advance-ai-get-video.txt:${i + 1}: the example under "${label}" has code ${JSON.stringify(value.code)}`);
    examples.set(label, value);
    i = end;
  }
  if (!examples.has('SUCCESS')) throw new Error('advance-ai-get-video.txt: no SUCCESS example');
  return examples;
}

/**
 * ADVANCE.AI Get Video "Response Code": code → message. The captured table runs its two cells together
 * (`SUCCESSOK`), so each line is split after the longest code the examples name that begins it.
 */
export function advanceCodeMessages(): Map<string, string> {
  const lines = readDocument('advance-ai-get-video.txt');
  const start = lines.findIndex((l) => l.trim() === 'Response Code');
  const end = lines.findIndex((l, i) => i > start && l.trim() === 'Response Examples');
  if (start < 0 || end < 0) throw new Error('advance-ai-get-video.txt: no "Response Code" table');
  const codes = [...advanceExamples().keys()].sort((a, b) => b.length - a.length);
  const messages = new Map<string, string>();
  for (const line of lines.slice(start + 1, end).map((l) => l.trim())) {
    const code = codes.find((c) => line.startsWith(c));
    if (code && line.length > code.length) messages.set(code, line.slice(code.length));
  }
  if (messages.get('SUCCESS') !== 'OK') throw new Error('advance-ai-get-video.txt: the "Response Code" table does not read SUCCESS → OK');
  return messages;
}

/**
 * ADVANCE.AI Get Video "Response Description", the `data` row: each field of a SUCCESS answer's `data` and its type
 * (`videoUrl:string`, `videoCreateTime: long`; the captured row runs the cells together, `datavideoUrl:stringthe url…`).
 */
export function advanceVideoDataFields(): Map<string, 'string' | 'long'> {
  const lines = readDocument('advance-ai-get-video.txt');
  const start = lines.findIndex((l) => /^data\w+:/.test(l.trim()));
  const end = lines.findIndex((l, i) => i > start && l.trim().startsWith('extra'));
  if (start < 0 || end < 0) throw new Error('advance-ai-get-video.txt: no data row in "Response Description"');
  const row = lines.slice(start, end).join('\n').trim().slice('data'.length);
  const fields = new Map([...row.matchAll(/([A-Za-z]+):\s*(string|long)/g)].map((m) => [m[1]!, m[2] as 'string' | 'long']));
  if (!fields.has('videoUrl')) throw new Error('advance-ai-get-video.txt: the data row names no videoUrl');
  return fields;
}

export interface TencentOutputField {
  name: string;
  /** The page's type: String, or a structure name (DetectInfoVideoData, …). */
  type: string;
  /** "注意：此字段可能返回 null，表示取不到有效值。" in the description. */
  nullable: boolean;
}

/** Rows of a `name | … |` table from the line after `heading` to the next blank-ish line. */
function tencentTable(lines: readonly string[], heading: string): string[][] {
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`tencent-ess-describe-sign-face-video.txt: no "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\d+\. /.test(line.trim())) break;
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 3 || /^-+$/.test(cells[0]!) || cells[0] === '参数名称' || cells[0] === '错误码') continue;
    rows.push(cells);
  }
  return rows;
}

/** DescribeSignFaceVideo "3. 输出参数". */
export function tencentOutputFields(): TencentOutputField[] {
  const rows = tencentTable(readDocument('tencent-ess-describe-sign-face-video.txt'), '3. 输出参数');
  const fields = rows.map(([name, type, description]) => ({ name: name!, type: type!, nullable: /可能返回 null/.test(description ?? '') }));
  if (!fields.some((f) => f.name === 'RequestId')) throw new Error('tencent-ess-describe-sign-face-video.txt: the output table has no RequestId');
  return fields;
}

/** DescribeSignFaceVideo "5. 错误码": the API's own error codes (the common ones are on another page). */
export function tencentErrorCodes(): string[] {
  const codes = tencentTable(readDocument('tencent-ess-describe-sign-face-video.txt'), '5. 错误码').map(([code]) => code!);
  if (codes.length === 0) throw new Error('tencent-ess-describe-sign-face-video.txt: no error codes');
  return codes;
}

/** DescribeSignFaceVideo "输出示例": the body, `{"Response": {…}}`. */
export function tencentOutputExample(): { Response: { [key: string]: Json } } {
  const lines = readDocument('tencent-ess-describe-sign-face-video.txt');
  const heading = lines.findIndex((l) => l.trim() === '输出示例');
  const start = lines.findIndex((l, i) => i > heading && l.trim() === '{');
  if (heading < 0 || start < 0) throw new Error('tencent-ess-describe-sign-face-video.txt: no output example');
  return jsonAt(lines, start, 'tencent-ess-describe-sign-face-video.txt').value as { Response: { [key: string]: Json } };
}
