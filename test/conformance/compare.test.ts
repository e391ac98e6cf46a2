/** The conformance suite's key-by-key comparison catches what it is there to catch. */
import { describe, expect, it } from 'vitest';
import { at, check, mismatches } from './compare.js';

const example = { status: 'failure', statusCode: 400, result: { error: 'Unsupported file type', details: [{ code: '111', message: 'Bad Request' }] }, metadata: { requestId: '<Request_ID>' } };
const good = structuredClone(example);
good.metadata.requestId = 'f3c1';
const options = { checks: [[at('metadata.requestId'), check.string]] as const, extensions: [/^result\.reason$/] };

describe('mismatches', () => {
  it('passes a conforming answer, and an answer with a listed extension', () => {
    expect(mismatches(example, good, options)).toEqual([]);
    expect(mismatches(example, { ...good, result: { ...good.result, reason: 'gif' } }, options)).toEqual([]);
  });

  it('reports a missing key, an extra key, another type, another literal and a failed check', () => {
    const { error: _error, ...withoutError } = good.result;
    expect(mismatches(example, { ...good, result: withoutError }, options)).toEqual(['result.error: missing (the document has "Unsupported file type")']);
    expect(mismatches(example, { ...good, extra: 1 }, options)).toEqual(['extra: not in the document (1)']);
    expect(mismatches(example, { ...good, statusCode: '400' }, options)).toEqual(['statusCode: expected number (the document shows 400), got string "400"']);
    expect(mismatches(example, { ...good, result: { ...good.result, error: 'Unsupported File Type' } }, options)).toEqual(['result.error: expected "Unsupported file type", got "Unsupported File Type"']);
    expect(mismatches(example, { ...good, metadata: { requestId: '' } }, options)).toEqual(['metadata.requestId: expected a non-empty string, got ""']);
  });

  it('holds arrays to the example item by item, or to one item example when their length is free', () => {
    const two = { ...good, result: { ...good.result, details: [...good.result.details, { code: '112', message: 'x' }] } };
    expect(mismatches(example, two, options)).toHaveLength(1);
    const free = { ...options, items: [[at('result.details'), { code: 'c', message: 'm' }]] as const, checks: [...options.checks, [/^result\.details\[\d+\]\.(code|message)$/, check.string]] as const };
    expect(mismatches(example, two, free)).toEqual([]);
    expect(mismatches(example, { ...good, result: { ...good.result, details: [{ code: 111, message: 'x' }] } }, free)).toEqual(['result.details[0].code: expected a non-empty string, got 111']);
  });
});
