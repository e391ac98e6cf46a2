/**
 * The multipart reader's Content-Type checks (issue #13, item 10): generated boundaries at every allowed length and
 * from the whole RFC 2046 §5.1.1 alphabet are read; too long, wrong characters, a trailing space, a missing
 * boundary and any parameter given twice are BAD_REQUEST before the body is read.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { AppError } from '../errors.js';
import { multipartBoundary, parseMediaType, readForm } from './multipart.js';

/** RFC 2046 §5.1.1 bcharsnospace; bchars adds the space. */
const BCHARS_NO_SPACE = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=?";
const BCHARS = `${BCHARS_NO_SPACE} `;
/** RFC 9110 tchar ∩ bchars: boundaries made of these may go unquoted. */
const TOKEN_BCHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'+_-.";

function randomBoundary(random: () => number, length: number, alphabet = BCHARS): string {
  let text = '';
  for (let i = 0; i < length - 1; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  const last = alphabet === BCHARS ? BCHARS_NO_SPACE : alphabet;
  return text + last[Math.floor(random() * last.length)];
}

/** A two-field multipart body (RFC 7578) with this boundary, as raw bytes. */
function formBody(boundary: string): string {
  return [
    `--${boundary}`,
    'Content-Disposition: form-data; name="transaction"',
    '',
    'txn-1',
    `--${boundary}`,
    'Content-Disposition: form-data; name="image"; filename="a.jpg"',
    'Content-Type: image/jpeg',
    '',
    'JPEG',
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

const request = (contentType: string | string[], body: string) => {
  const headers = new Headers();
  for (const value of Array.isArray(contentType) ? contentType : [contentType]) headers.append('content-type', value);
  return new Request('http://localhost/v1/checkLiveness', { method: 'POST', headers, body });
};

async function refusal(contentType: string | string[], body = formBody('b')): Promise<AppError> {
  const error = await readForm(request(contentType, body)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected a BAD_REQUEST for ${JSON.stringify(contentType)}, got ${String(error)}`);
  expect(error.code).toBe('BAD_REQUEST');
  return error;
}

describe('readForm: boundaries RFC 2046 allows', () => {
  it('reads bodies with generated boundaries of every length 1–70, quoted, from the whole bchars alphabet', async () => {
    const random = seededRandom(13);
    for (let length = 1; length <= 70; length++) {
      const boundary = randomBoundary(random, length);
      const fields = await readForm(request(`multipart/form-data; boundary="${boundary}"`, formBody(boundary)));
      expect(fields.transaction, boundary).toBe('txn-1');
      expect(fields.image, boundary).toBeInstanceOf(File);
    }
  });

  it('reads unquoted token boundaries, any letter case of the names, other parameters and empty ones', async () => {
    const random = seededRandom(7);
    for (const length of [1, 16, 40, 70]) {
      const boundary = randomBoundary(random, length, TOKEN_BCHARS);
      for (const header of [
        `multipart/form-data; boundary=${boundary}`,
        `Multipart/Form-Data;BOUNDARY=${boundary}`,
        `multipart/form-data ; charset=utf-8; boundary=${boundary};`,
        `multipart/form-data;; boundary="${boundary}" ;`,
      ]) {
        expect((await readForm(request(header, formBody(boundary)))).transaction, header).toBe('txn-1');
      }
    }
  });

  it('reads what browsers, curl and undici send', async () => {
    for (const boundary of ['----WebKitFormBoundary7MA4YWxkTrZu0gW', '------------------------d74496d66958873e', `----formdata-undici-0${'1'.repeat(11)}`]) {
      expect((await readForm(request(`multipart/form-data; boundary=${boundary}`, formBody(boundary)))).transaction).toBe('txn-1');
    }
  });
});

describe('readForm: refused before the body is read (BAD_REQUEST)', () => {
  it('refuses boundaries longer than 70 characters (generated, 71–400)', async () => {
    const random = seededRandom(99);
    for (const length of [71, 72, 100, 200, 400]) {
      const boundary = randomBoundary(random, length, TOKEN_BCHARS);
      for (const header of [`multipart/form-data; boundary=${boundary}`, `multipart/form-data; boundary="${boundary}"`]) {
        const error = await refusal(header, formBody(boundary));
        expect(error.message).toBe(`Content-Type: the boundary must be 1–70 characters (RFC 2046 §5.1.1), got ${length}`);
      }
    }
    expect((await refusal('multipart/form-data; boundary=""')).message).toMatch(/1–70 characters .*got 0$/);
  });

  it('refuses characters outside bchars and a trailing space', async () => {
    // Each is a valid quoted-string (RFC 9110 §5.6.4), so only the boundary rule refuses it.
    for (const boundary of ['abc ', ' ', 'a@b', 'a;b', 'a\\\\b', 'a[b]', 'tab\there', 'é', 'a!b', 'a#b', 'a%b', 'a<b>']) {
      const header = `multipart/form-data; boundary="${boundary}"`;
      const error = await refusal(header);
      expect(error.message, header).toBe("Content-Type: the boundary may use letters, digits, space and '()+_,-./:=? only, and must not end with a space (RFC 2046 §5.1.1)");
    }
    // Unquoted, a tchar outside bchars.
    expect((await refusal('multipart/form-data; boundary=a!b')).message).toMatch(/^Content-Type: the boundary may use/);
  });

  it('refuses any parameter given twice, even with the same value or another letter case', async () => {
    const cases = [
      'multipart/form-data; boundary=a; boundary=b',
      'multipart/form-data; boundary=a; boundary=a',
      'multipart/form-data; boundary=a; BOUNDARY=b',
      'multipart/form-data; boundary="a"; Boundary=a',
      'multipart/form-data; charset=utf-8; boundary=a; charset=latin1',
    ];
    for (const header of cases) {
      const error = await refusal(header, formBody('a'));
      expect(error.message, header).toMatch(/^Content-Type: parameter "(boundary|charset)" is given more than once; send it once$/);
    }
  });

  it('refuses two Content-Type headers (joined with a comma) and values that do not parse as one media type', async () => {
    const twoHeaders = await refusal(['multipart/form-data; boundary=a', 'multipart/form-data; boundary=b'], formBody('a'));
    expect(twoHeaders.message).toBe('Content-Type: unexpected ", multipart/form-data; boundary=b" after the media type or a parameter (one media type, parameters separated by ";")');
    for (const header of [
      'multipart/form-data; boundary',
      'multipart/form-data; boundary=',
      'multipart/form-data; boundary =a',
      'multipart/form-data; boundary=a b',
      'multipart/form-data; boundary="a',
      'multipart/form-data boundary=a',
    ]) {
      await refusal(header, formBody('a'));
    }
  });

  it('refuses a form without a boundary, and other media types with the plain hint', async () => {
    expect((await refusal('multipart/form-data')).message).toBe('Content-Type: multipart/form-data needs a boundary parameter (RFC 2046 §5.1.1)');
    expect((await refusal('multipart/form-data; charset=utf-8')).message).toMatch(/needs a boundary parameter/);
    for (const header of ['application/json', 'multipart/mixed; boundary=a', 'text/plain', 'multipart/form-datax; boundary=a']) {
      expect((await refusal(header)).message, header).toBe('send the request as multipart/form-data');
    }
  });

  it('quotes at most 40 characters of the header back', async () => {
    const error = await refusal(`multipart/form-data; boundary=a, ${'x'.repeat(10_000)}`);
    expect(error.message).toBe(`Content-Type: unexpected ", ${'x'.repeat(38)}…" after the media type or a parameter (one media type, parameters separated by ";")`);
  });
});

describe('parseMediaType', () => {
  it('lowercases the type and the parameter names, unquotes values (RFC 9110 §5.6.4 quoted-pair)', () => {
    const { essence, parameters } = parseMediaType('Multipart/Form-Data; Boundary="a\\:b"; X=y');
    expect(essence).toBe('multipart/form-data');
    expect([...parameters]).toEqual([
      ['boundary', 'a:b'],
      ['x', 'y'],
    ]);
    expect(multipartBoundary('multipart/form-data; boundary="a\\:b"')).toBe('a:b');
  });
});
