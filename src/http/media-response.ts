/**
 * Serves a stored media item over HTTP with range support, so browsers can seek in evidence videos
 * (a <video> element fetches with `Range: bytes=…`). Framework-free: takes the Fetch API Request and
 * answers a Response, so a Hono route just returns it (`serveMedia(store, record, c.req.raw)`).
 *
 * RFC 9110 §14 (range requests): one byte range per request is honoured (206 + Content-Range); a
 * multi-range request is answered with the whole content (200), which §14.2 allows ("A server MAY
 * ignore the Range header field"), as are a malformed header, another range unit, a method other than
 * GET, and an If-Range validator that does not match (§13.1.5). A syntactically valid range that
 * starts past the end answers 416 with `Content-Range: bytes *\/<length>` (§15.5.17).
 */
import { Readable } from 'node:stream';
import type { MediaRecord, MediaStore } from '../store/media-store.js';

/** Inclusive byte range within a representation of `length` bytes. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header against a content length: a ByteRange, 'unsatisfiable' (→ 416), or undefined
 * when the header is absent, malformed, multi-range or not in bytes (→ serve everything).
 * Forms (RFC 9110 §14.1.2): `bytes=first-last`, `bytes=first-` (to the end), `bytes=-suffix` (last bytes).
 */
export function parseRange(header: string | null | undefined, length: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // suffix-range: the last N bytes; N = 0 is unsatisfiable, N > length means the whole content.
    const suffix = Number(last);
    if (suffix === 0 || length === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined; // invalid (last-pos < first-pos): ignore
  if (start >= length) return 'unsatisfiable';
  // A last-pos at or past the end means "to the end" (§14.1.2).
  return { start, end: last === '' ? length - 1 : Math.min(Number(last), length - 1) };
}

/** Strong ETag from the content hash: identical bytes ⇔ identical tag (RFC 9110 §8.8.3). */
export const mediaEtag = (record: MediaRecord) => `"${record.sha256}"`;

/**
 * The response for `record` (already authorised and known to exist): 200 with the whole content, 206
 * with one range, or 416. `headers` are added (e.g. Cache-Control for a signed link's lifetime).
 * A HEAD request gets the headers without opening the file.
 */
export async function serveMedia(store: MediaStore, record: MediaRecord, request: Request, headers: Record<string, string> = {}): Promise<Response> {
  const common: Record<string, string> = {
    'Content-Type': record.contentType,
    'Accept-Ranges': 'bytes',
    ETag: mediaEtag(record),
    'Last-Modified': new Date(record.createdAt).toUTCString(),
    // The type was sniffed at upload; stop browsers from guessing another (e.g. HTML) from the bytes.
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  };
  const ifRange = request.headers.get('If-Range');
  // Range applies to GET only (§14.2); If-Range with anything but our exact ETag means "send it all".
  const range = request.method === 'GET' && (ifRange === null || ifRange.trim() === mediaEtag(record)) ? parseRange(request.headers.get('Range'), record.bytes) : undefined;
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...common, 'Content-Range': `bytes */${record.bytes}` } });
  }
  const head = request.method === 'HEAD';
  if (!range) {
    const body = head ? null : (Readable.toWeb(await store.open(record.id)) as ReadableStream<Uint8Array>);
    return new Response(body, { status: 200, headers: { ...common, 'Content-Length': String(record.bytes) } });
  }
  const body = Readable.toWeb(await store.open(record.id, range)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    status: 206,
    headers: { ...common, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${record.bytes}` },
  });
}

/** A store that can hand a client a direct, time-limited URL for a record's content (S3MediaStore with S3_PUBLIC_URLS=presigned). */
export interface DirectMediaUrls {
  /** The URL, or undefined when the store serves reads itself. */
  directUrl(id: string, options: { expiresInSeconds: number; contentDisposition?: string; cacheControl?: string }): Promise<string | undefined>;
}

/**
 * The answer to a signed download link that expires at `link.expiresAtMs` (ms since the epoch; `link.nowMs` is now):
 * when the store hands out direct URLs (S3_PUBLIC_URLS=presigned), a GET is answered 302 Found (RFC 9110 §15.4.3) to
 * one that dies with the link, carrying the same Content-Disposition and Cache-Control; the client then reads from the
 * bucket, with Range. Otherwise, and for HEAD (a presigned URL is signed for GET only), the service serves the content
 * itself (serveMedia).
 */
export async function serveMediaOrRedirect(
  store: MediaStore & Partial<DirectMediaUrls>,
  record: MediaRecord,
  request: Request,
  headers: Record<string, string>,
  link: { expiresAtMs: number; nowMs: number },
): Promise<Response> {
  const remainingSeconds = Math.ceil((link.expiresAtMs - link.nowMs) / 1000);
  if (request.method === 'GET' && typeof store.directUrl === 'function' && remainingSeconds >= 1) {
    const location = await store.directUrl(record.id, {
      expiresInSeconds: remainingSeconds,
      ...(headers['Content-Disposition'] !== undefined ? { contentDisposition: headers['Content-Disposition'] } : {}),
      ...(headers['Cache-Control'] !== undefined ? { cacheControl: headers['Cache-Control'] } : {}),
    });
    if (location !== undefined) {
      // The Location is itself a credential until it expires: keep the redirect out of caches and referrers.
      return new Response(null, { status: 302, headers: { Location: location, 'Cache-Control': 'private, no-store', 'Referrer-Policy': 'no-referrer' } });
    }
  }
  return serveMedia(store, record, request, headers);
}
