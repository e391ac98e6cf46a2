/**
 * An ADVANCE.AI client written from ADVANCE.AI's documents alone, as a customer would write it: the Get Video API page
 * (../shared/seeds/advance-ai-get-video.txt, captured) and its Token Authentication API, which that page points to
 * ("Please use Token Authentication API to get your access token") but which is not among the captured pages. It
 * imports nothing from this service; the conformance suite (test/conformance/) points it at a base URL.
 *
 * Get Video (the captured page): `GET /liveness/ext/v1/get-video?livenessId=…` or `?signatureId=…` ("livenessId or
 * signatureId must be provided"), header `X-ACCESS-TOKEN`; the answer is `{code, message, data, extra,
 * transactionId, pricingStrategy}`, `data` = `{videoUrl, videoCreateTime}` on SUCCESS, null otherwise.
 *
 * Token Authentication (not captured; what ../shared/seeds/README.md says of it, and the request as public
 * transcriptions of ADVANCE.AI's API show it): `POST /openapi/auth/ticket/v1/generate-token`, a JSON body `{accessKey, signature,
 * timestamp, periodSecond}` with signature = sha256(accessKey + secretKey + timestamp) in hex, timestamp in
 * milliseconds; the answer in the same envelope, `data` = `{token, expiredTime}`.
 */
import { createHash } from 'node:crypto';

/** The response envelope every example of the Get Video page shows ("Response Description"). */
export interface AdvanceResponse<Data> {
  /** "Status Code": SUCCESS, or one of the "Response Code" table's codes. */
  code: string;
  /** "Status Code Explanation". */
  message: string;
  data: Data | null;
  /** "Extra response info (Exception Message)": null in every example; the page gives no type beyond that. */
  extra: unknown;
  /** "The request id, the max length is 64". */
  transactionId: string;
  /** "Deprecated, Always return FREE". */
  pricingStrategy: string;
}

/** One answer: the HTTP status, and the JSON body as the server sent it. */
export interface AdvanceAnswer<Data> {
  httpStatus: number;
  body: AdvanceResponse<Data>;
}

export interface TokenData {
  token: string;
  /** When the token expires; the Token Authentication API's unit is milliseconds since the epoch. */
  expiredTime: number;
}

export interface VideoData {
  /** "the url of the video. this value is a link that will be expired in 1 day". */
  videoUrl: string;
  /** "the timestamp of the video created" (a long; the page does not give the unit). */
  videoCreateTime: number;
}

/** Exactly one of the two ids; the page says either "must be provided" and is silent on sending both. */
export type VideoLookup = { livenessId: string } | { signatureId: string };

export interface AdvanceAiClientOptions {
  /**
   * Scheme, host and optional path prefix, e.g. `https://api.advance.ai` (the page's first URL); the regional hosts
   * the page lists with `/intl/openapi` take that prefix here.
   */
  baseUrl: string;
  accessKey: string;
  secretKey: string;
}

/** Token Authentication's signature: lowercase hex of SHA-256 over accessKey + secretKey + timestamp (UTF-8). */
export function tokenSignature(accessKey: string, secretKey: string, timestamp: string): string {
  return createHash('sha256').update(accessKey + secretKey + timestamp, 'utf8').digest('hex');
}

export class AdvanceAiClient {
  constructor(private readonly options: AdvanceAiClientOptions) {}

  /** POST /openapi/auth/ticket/v1/generate-token; `periodSecond` is left out (the API's default) unless given. */
  async generateToken(periodSecond?: number): Promise<AdvanceAnswer<TokenData>> {
    const timestamp = String(Date.now());
    const body = {
      accessKey: this.options.accessKey,
      signature: tokenSignature(this.options.accessKey, this.options.secretKey, timestamp),
      timestamp,
      ...(periodSecond !== undefined ? { periodSecond: String(periodSecond) } : {}),
    };
    const response = await fetch(this.url('openapi/auth/ticket/v1/generate-token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return readEnvelope<TokenData>(response, 'generate-token');
  }

  /** GET /liveness/ext/v1/get-video with the token in `X-ACCESS-TOKEN`, as the page's cURL example sends it. */
  async getVideo(lookup: VideoLookup, accessToken: string): Promise<AdvanceAnswer<VideoData>> {
    const url = this.url('liveness/ext/v1/get-video');
    for (const [name, value] of Object.entries(lookup)) url.searchParams.set(name, value);
    const response = await fetch(url, { headers: { 'X-ACCESS-TOKEN': accessToken } });
    return readEnvelope<VideoData>(response, 'get-video');
  }

  private url(path: string): URL {
    const base = this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`;
    return new URL(path, base);
  }
}

/**
 * The envelope, whatever the HTTP status: the page documents the codes in the body and says nothing of HTTP statuses,
 * so the client reads the body and keeps no opinion on the status (the conformance suite checks it separately).
 */
async function readEnvelope<Data>(response: Response, what: string): Promise<AdvanceAnswer<Data>> {
  const text = await response.text();
  try {
    return { httpStatus: response.status, body: JSON.parse(text) as AdvanceResponse<Data> };
  } catch {
    throw new Error(`${what}: HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}
