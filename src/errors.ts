/**
 * One error class with stable codes (Hono's HTTPException idea, with a machine-readable code).
 * Codes are part of the API: never rename one, add new ones instead.
 */
export const ERROR_CODES = {
  /** Configuration (environment) is invalid; start-up fails. */
  CONFIG_INVALID: 500,
  /** A model file is missing, corrupt, or does not match models/manifest.json. */
  MODEL_INVALID: 500,
  /** The requested execution provider (e.g. CUDA) cannot be loaded on this host. */
  EXECUTION_PROVIDER_UNAVAILABLE: 500,
  /** A model run received inputs that do not match the model's declared inputs (a programming error). */
  MODEL_INPUT_INVALID: 500,
  /** A model run failed inside ONNX Runtime. */
  INFERENCE_FAILED: 500,
  /** The request body could not be parsed (not multipart, missing mandatory field, bad value). */
  BAD_REQUEST: 400,
  /** The image is not a supported type (sniffed from its bytes), or is corrupt. */
  UNSUPPORTED_FILE_TYPE: 400,
  /** The image is over the configured pixel or byte limit. */
  IMAGE_TOO_LARGE: 413,
  /** A stored upload (session selfie, document photo, video) is over its byte limit (MEDIA_MAX_BYTES); nothing is kept. */
  MEDIA_TOO_LARGE: 413,
  /** No face was found in the image. */
  NO_FACE_DETECTED: 422,
  /** Credentials missing or wrong. */
  UNAUTHENTICATED: 401,
  /** Valid credentials, but the app may not call this API (or a signed link is invalid/expired). */
  FORBIDDEN: 403,
  /** The app went over its per-minute request limit. */
  RATE_LIMITED: 429,
  /** The process is at its concurrency limit and its queue is full. */
  BUSY: 503,
  /** A caller-supplied option is outside its documented range (e.g. a detector threshold). */
  INVALID_OPTION: 400,
  /** The route does not exist. */
  NOT_FOUND: 404,
  /**
   * The uploaded video cannot be used: not a supported container/codec, corrupt or truncated, no video
   * stream (audio only), zero length, longer than the duration limit, larger than the pixel limit, or not
   * decodable within the time limit. The message says which.
   */
  VIDEO_INVALID: 400,
  /**
   * An active liveness challenge id this request may not use: none was issued to this app under it (unknown, or
   * another app's: the two read the same), or it is bound elsewhere (a session's challenge sent to verifyVideo, a
   * verifyVideo challenge or another session's sent with a session's video). The message says which.
   */
  CHALLENGE_INVALID: 400,
  /** The challenge was already used by an earlier recording: each is single-use; draw a new one. */
  CHALLENGE_USED: 409,
  /** The challenge's lifetime (CHALLENGE_TTL_SECONDS, or its session's) ended before it was used; draw a new one. */
  CHALLENGE_EXPIRED: 410,
  /** An unexpected failure; the message is generic and the details go to the log. */
  INTERNAL: 500,
  /**
   * A store the service needs cannot be opened or reached: the PostgreSQL database (DATABASE_URL) or the S3 bucket
   * (S3_*). Start-up fails with it (the message names the store and the setting to check); a replica that loses its
   * store later says so on /health/ready.
   */
  STORE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly status: number;
  /** Which input the error is about, where a request has several (e.g. matchFace's `selfie` or `id`). */
  readonly subject?: string;
  /** UNSUPPORTED_FILE_TYPE: the formats the endpoint would have taken (each contract says so in its own words). */
  readonly acceptedFormats?: readonly string[];
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; subject?: string; acceptedFormats?: readonly string[] },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'AppError';
    this.status = ERROR_CODES[code];
    if (options?.subject !== undefined) this.subject = options.subject;
    if (options?.acceptedFormats !== undefined) this.acceptedFormats = options.acceptedFormats;
  }
}
