/**
 * A HyperVerge client written from HyperVerge's own page alone, as a customer integrating the Selfie Validation API
 * would write it: ../shared/seeds/hyperverge-check-liveness.txt ("Selfie Validation API", captured). It imports
 * nothing from this service; the conformance suite (test/conformance/) points it at a base URL.
 *
 * What it follows, section by section:
 * - "API URL": `https://<regionCode>.idv.hyperverge.co/v1/checkLiveness`; the base URL replaces
 *   `https://<regionCode>.idv.hyperverge.co`.
 * - "API Request Details": POST, headers `appId`, `appKey`, `transactionId` (all mandatory), `Content-type:
 *   multipart/form-data`; fields `image` and the optional `returnCroppedImageURL`, `qualityChecks.*`, `ageRange`,
 *   `checkGender`, each `yes` or `no`.
 * - "Success Response" and "Error Responses": the body is JSON in every case; `status` is "success" or "failure",
 *   `statusCode` repeats the HTTP status, and on a failure the message is in `result.error` (with `result.summary` on
 *   some statuses).
 * - "Reading Results for Selfie Validation": readLivenessResult() below.
 *
 * Where the page is silent, said at the place: the form's boundary, bodies that are not JSON, and matchFace (the page
 * documents checkLiveness only).
 */

export interface HyperVergeCredentials {
  appId: string;
  appKey: string;
}

export interface HyperVergeClientOptions {
  /** Scheme, host and optional path prefix; `/v1/checkLiveness` is appended (e.g. `https://ind.idv.hyperverge.co`). */
  baseUrl: string;
  /**
   * appId and appKey ("Authentication"). The page makes both mandatory; leaving them out here sends neither header,
   * which is how the conformance suite provokes the documented 401.
   */
  credentials?: HyperVergeCredentials;
}

/** An uploaded file: the page asks for "the selfie image file" as form-data; JPG, JPEG or PNG. */
export interface ImageFile {
  bytes: Uint8Array<ArrayBuffer>;
  /** The file name sent in the part's Content-Disposition (the page's curl sends the file's own name). */
  filename: string;
}

/** The request's `qualityChecks.<name>` fields, as "Quality Checks" lists them. */
export const QUALITY_CHECK_FIELDS = [
  'blur',
  'eyesClosed',
  'occlusion',
  'multipleFaces',
  'headTurned',
  'hat',
  'eyewear',
  'readingGlasses',
  'sunglasses',
  'dull',
  'bright',
  'nonWhiteBackground',
  'nudity',
  'lowQuality',
] as const;
export type QualityCheckField = (typeof QUALITY_CHECK_FIELDS)[number];

/**
 * The response key of each quality check: the same name, except `qualityChecks.occlusion`, which the page answers as
 * `result.details.qualityChecks.faceOccluded` ("Success Response Details": "Returned when qualityChecks.occlusion is
 * enabled").
 */
export const QUALITY_CHECK_RESPONSE_KEYS: Record<QualityCheckField, string> = {
  ...(Object.fromEntries(QUALITY_CHECK_FIELDS.map((f) => [f, f])) as Record<QualityCheckField, string>),
  occlusion: 'faceOccluded',
};

export interface CheckLivenessRequest {
  /** The `transactionId` header: "A unique identifier for tracking a user journey" (mandatory). */
  transactionId: string;
  returnCroppedImageURL?: boolean;
  qualityChecks?: readonly QualityCheckField[];
  ageRange?: boolean;
  checkGender?: boolean;
}

export type YesNo = 'yes' | 'no';
/** liveFace and the attributes: "Returns high or low". The quality checks' confidence is described without values. */
export type Confidence = 'high' | 'low';

export interface Verdict {
  value: YesNo;
  confidence: Confidence;
}

/** "The Summary Object": `action` pass, fail or manualReview; `details` codes and messages (the examples: "001", "011"). */
export interface Summary {
  action: 'pass' | 'fail' | 'manualReview';
  details: { code: string; message: string }[];
}

/** "Success Response" with "Success Response Details". */
export interface LivenessSuccess {
  status: 'success';
  statusCode: 200;
  metadata: { requestId: string; transactionId: string };
  result: {
    details: {
      liveFace: Verdict;
      ageRange?: { low: number; high: number; value: string; confidence: Confidence };
      gender?: { value: string; confidence: Confidence };
      qualityChecks?: Record<string, Verdict>;
    };
    summary: Summary;
    croppedImageUrl?: string;
  };
}

/**
 * "Error Responses": every tab shows `statusCode`, `status: "failure"` and `result.error`; `result.summary` appears on
 * 400 Unsupported File Type, 422 and 500; `metadata` holds both ids on most tabs, only `requestId` on 401 and 404,
 * and is absent on 429.
 */
export interface HyperVergeFailure {
  statusCode: number;
  status: 'failure';
  result: { error: string; summary?: Summary };
  metadata?: { requestId?: string; transactionId?: string };
}

/** One answer: the HTTP status, and the JSON body as the server sent it (typed as the page describes it). */
export interface HyperVergeResponse<Success> {
  httpStatus: number;
  body: Success | HyperVergeFailure;
}

/** Face Match (see matchFace below): `result.details.match`, in the Selfie Validation envelope. */
export interface MatchSuccess {
  status: 'success';
  statusCode: 200;
  metadata: { requestId: string; transactionId: string };
  result: { details: { match: Verdict }; summary: Summary };
}

export const isFailure = (body: { status: string }): body is HyperVergeFailure => body.status === 'failure';

const yesNo = (flag: boolean | undefined) => (flag ? 'yes' : 'no');

export class HyperVergeClient {
  constructor(private readonly options: HyperVergeClientOptions) {}

  /** POST /v1/checkLiveness, the fields as the page's cURL sample sends them. */
  checkLiveness(image: ImageFile, request: CheckLivenessRequest): Promise<HyperVergeResponse<LivenessSuccess>> {
    const form = new FormData();
    form.append('image', new Blob([image.bytes]), image.filename);
    if (request.returnCroppedImageURL !== undefined) form.append('returnCroppedImageURL', yesNo(request.returnCroppedImageURL));
    for (const check of request.qualityChecks ?? []) form.append(`qualityChecks.${check}`, 'yes');
    if (request.ageRange !== undefined) form.append('ageRange', yesNo(request.ageRange));
    if (request.checkGender !== undefined) form.append('checkGender', yesNo(request.checkGender));
    return this.post('/v1/checkLiveness', form, request.transactionId);
  }

  /**
   * POST /v1/matchFace with the form fields `selfie` and `id`. The captured page documents checkLiveness only: the
   * path, the two field names and `result.details.match {value, confidence}` are those of HyperVerge's Face Match API
   * as this service's README gives them (it is silent on anything else); the headers, the envelope and the error
   * bodies are assumed to be the Selfie Validation page's, since it is the same API family.
   */
  matchFace(selfie: ImageFile, id: ImageFile, request: { transactionId: string }): Promise<HyperVergeResponse<MatchSuccess>> {
    const form = new FormData();
    form.append('selfie', new Blob([selfie.bytes]), selfie.filename);
    form.append('id', new Blob([id.bytes]), id.filename);
    return this.post('/v1/matchFace', form, request.transactionId);
  }

  private async post<Success>(path: string, form: FormData, transactionId: string): Promise<HyperVergeResponse<Success>> {
    // The page lists `Content-type: multipart/form-data`; the boundary parameter it does not mention is required by
    // RFC 7578 §4.1, so fetch is left to write the header from the FormData.
    const headers: Record<string, string> = { transactionId };
    if (this.options.credentials) {
      headers.appId = this.options.credentials.appId;
      headers.appKey = this.options.credentials.appKey;
    }
    const response = await fetch(new URL(path.slice(1), withSlash(this.options.baseUrl)), { method: 'POST', headers, body: form });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // The page says "The responses are in JSON format" and shows no other kind: anything else is not HyperVerge's answer.
      throw new Error(`POST ${path}: HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    return { httpStatus: response.status, body: body as Success | HyperVergeFailure };
  }
}

/** `https://host/prefix` → `https://host/prefix/`, so relative paths resolve below the prefix. */
function withSlash(baseUrl: string): string {
  return baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
}

export type LivenessDecision = 'approved' | 'rejected' | 'manualReview';

/**
 * "Reading Results for Selfie Validation", "Logic Recommended":
 * - Approved: statusCode = 200, liveFace.value = "yes", action = "pass";
 * - Rejected: statusCode = 200, liveFace.value = "no", action = "fail"; OR all other status codes;
 * - Manual Review: statusCode = 200, liveFace.value = "yes"/"no", action = "manualReview".
 * The page is silent on a 200 with liveFace "yes" and action "fail", or "no" and "pass": those are sent to manual
 * review here, the cautious reading.
 */
export function readLivenessResult(response: HyperVergeResponse<LivenessSuccess>): LivenessDecision {
  const { body } = response;
  if (isFailure(body) || body.statusCode !== 200) return 'rejected';
  const live = body.result.details.liveFace.value;
  const action = body.result.summary.action;
  if (action === 'manualReview') return 'manualReview';
  if (live === 'yes' && action === 'pass') return 'approved';
  if (live === 'no' && action === 'fail') return 'rejected';
  return 'manualReview';
}
