/**
 * Multipart request bodies for the vendor routes: one parser, so every route refuses bad bodies the same way.
 *
 * The Content-Type header is checked before the body is read (issue #13): it must be one media type (RFC 9110
 * §8.3.1: `type/subtype *( OWS ";" OWS [ name=value ] )`, values a token or a quoted-string, §5.6.6), with no
 * parameter given twice (which one would a parser take?) and a boundary as RFC 2046 §5.1.1 defines it: 1–70
 * characters from `bchars`, not ending with a space. Anything else is BAD_REQUEST, the route's documented 400.
 */
import { AppError } from '../errors.js';
import type { FormFields } from './contracts/hyperverge-request.js';

/** RFC 9110 §5.6.2 tchar: the characters of a token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
/** RFC 9110 §5.6.4 quoted-string: qdtext (HTAB, SP, VCHAR but `"` and `\`, obs-text) or a quoted-pair. */
const QUOTED_STRING = /^"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"/;
/** RFC 2046 §5.1.1: `boundary := 0*69<bchars> bcharsnospace`, bchars = bcharsnospace / " ". */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
/** RFC 9110 §5.6.3 OWS. */
const OWS = /^[ \t]*/;

export interface MediaType {
  /** `type/subtype`, lowercase (media type names are case-insensitive, RFC 9110 §8.3.1). */
  essence: string;
  /** Parameter values by lowercase name (parameter names are case-insensitive, RFC 9110 §5.6.6); quoted values unquoted. */
  parameters: Map<string, string>;
}

const contentTypeError = (problem: string) => new AppError('BAD_REQUEST', `Content-Type: ${problem}`);
/** A header may be 16 KiB long (Node's --max-http-header-size): quote at most this many characters of it in a message. */
const EXCERPT_CHARACTERS = 40;
const excerpt = (text: string) => JSON.stringify(text.length > EXCERPT_CHARACTERS ? `${text.slice(0, EXCERPT_CHARACTERS)}…` : text);
/** Says "this is (meant as) a form upload" before the strict parse, so other media types get the plain hint. */
const FORM_DATA_PREFIX = /^[ \t]*multipart\/form-data[ \t]*(?:;|$)/i;

/** Parses one Content-Type value strictly (RFC 9110 §8.3.1, §5.6.6); a parameter given twice is refused as ambiguous. */
export function parseMediaType(header: string): MediaType {
  let rest = header.trim();
  const type = TOKEN.exec(rest)?.[0];
  const subtype = type !== undefined && rest[type.length] === '/' ? TOKEN.exec(rest.slice(type.length + 1))?.[0] : undefined;
  if (type === undefined || subtype === undefined) throw contentTypeError(`${excerpt(header)} is not a media type (type/subtype)`);
  rest = rest.slice(type.length + 1 + subtype.length);
  const parameters = new Map<string, string>();
  for (;;) {
    rest = rest.slice(OWS.exec(rest)![0].length);
    if (rest === '') break;
    if (rest[0] !== ';') throw contentTypeError(`unexpected ${excerpt(rest)} after the media type or a parameter (one media type, parameters separated by ";")`);
    rest = rest.slice(1);
    rest = rest.slice(OWS.exec(rest)![0].length);
    // parameters = *( OWS ";" OWS [ parameter ] ): an empty parameter (";;" or a trailing ";") is allowed.
    if (rest === '' || rest[0] === ';') continue;
    const name = TOKEN.exec(rest)?.[0];
    if (name === undefined || rest[name.length] !== '=') throw contentTypeError(`a parameter must be name=value, at ${excerpt(rest)}`);
    rest = rest.slice(name.length + 1);
    let value: string;
    const quoted = QUOTED_STRING.exec(rest);
    if (quoted) {
      value = quoted[1]!.replace(/\\(.)/g, '$1');
      rest = rest.slice(quoted[0].length);
    } else {
      const token = TOKEN.exec(rest)?.[0];
      if (token === undefined) throw contentTypeError(`parameter ${excerpt(name)} has no value (a token or a quoted string)`);
      value = token;
      rest = rest.slice(token.length);
    }
    const key = name.toLowerCase();
    if (parameters.has(key)) throw contentTypeError(`parameter ${excerpt(key)} is given more than once; send it once`);
    parameters.set(key, value);
  }
  return { essence: `${type}/${subtype}`.toLowerCase(), parameters };
}

/** The multipart boundary of a Content-Type header, checked against RFC 2046 §5.1.1; anything else is BAD_REQUEST. */
export function multipartBoundary(header: string): string {
  if (!FORM_DATA_PREFIX.test(header)) throw new AppError('BAD_REQUEST', 'send the request as multipart/form-data');
  const { parameters } = parseMediaType(header);
  const boundary = parameters.get('boundary');
  if (boundary === undefined) throw contentTypeError('multipart/form-data needs a boundary parameter (RFC 2046 §5.1.1)');
  if (boundary.length < 1 || boundary.length > 70) throw contentTypeError(`the boundary must be 1–70 characters (RFC 2046 §5.1.1), got ${boundary.length}`);
  if (!BOUNDARY.test(boundary)) {
    throw contentTypeError("the boundary may use letters, digits, space and '()+_,-./:=? only, and must not end with a space (RFC 2046 §5.1.1)");
  }
  return boundary;
}

/** Reads a multipart/form-data body into FormFields (repeated fields become arrays); anything else is BAD_REQUEST. */
export async function readForm(req: Request): Promise<FormFields> {
  const type = req.headers.get('content-type');
  if (type === null) throw new AppError('BAD_REQUEST', 'send the request as multipart/form-data');
  multipartBoundary(type);
  try {
    const form = await req.formData();
    const fields: FormFields = {};
    for (const [name, value] of form.entries()) {
      const previous = fields[name];
      fields[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
    }
    return fields;
  } catch (error) {
    throw new AppError('BAD_REQUEST', `malformed multipart body (${(error as Error).message})`, { cause: error });
  }
}
