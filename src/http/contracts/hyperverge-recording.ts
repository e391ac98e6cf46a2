/**
 * HyperVerge wire format for the session-recording ("video recording") module result (issue #6): pure
 * mappings from stored attempts to `{moduleId, videoImageUrl, apiResponse, attempts, previousAttempts}`.
 *
 * Source: the contract text. HyperVerge's own documentation of this module's result was not
 * found in the reference corpus, so the field meanings below are this service's, stated here:
 * - `apiResponse` is the upload's HyperVerge envelope (status, statusCode, metadata {requestId of that
 *   upload, transactionId}, result.details {uploadUrls, urls, length});
 * - `uploadUrls`: signed, expiring links to the stored video of that attempt (one per attempt; empty once
 *   the video is past its retention); `urls`: always `[]` (no derived files are produced); `length`: the
 *   number of `uploadUrls`;
 * - `videoImageUrl`: always `null` — no poster frame is extracted at upload (that would need a video
 *   decode per upload, the verifyVideo pipeline's job, not a storage endpoint's);
 * - `attempts`: how many recordings were uploaded for the transactionId; the latest is the top-level
 *   result, the earlier ones are `previousAttempts`, oldest first, each in the same shape.
 */
import type { RecordingAttempt } from '../../sessions/recording-attempts.js';

export interface HvRecordingApiResponse {
  status: 'success';
  statusCode: 200;
  metadata: { requestId: string; transactionId: string };
  result: { details: { uploadUrls: string[]; urls: string[]; length: number } };
}

export interface HvRecordingModuleResult {
  moduleId: string;
  videoImageUrl: string | null;
  apiResponse: HvRecordingApiResponse;
}

export interface HvRecordingResult extends HvRecordingModuleResult {
  /** Recordings uploaded for this transactionId, the current one included. */
  attempts: number;
  /** The earlier recordings, oldest first. */
  previousAttempts: HvRecordingModuleResult[];
}

/** Module id when the upload names none. */
export const DEFAULT_RECORDING_MODULE_ID = 'sessionRecording';

/** One attempt's module result; `videoUrl` is its signed link, or undefined when its video is no longer stored. */
export function moduleResult(attempt: RecordingAttempt, videoUrl: string | undefined): HvRecordingModuleResult {
  const uploadUrls = videoUrl !== undefined ? [videoUrl] : [];
  return {
    moduleId: attempt.moduleId,
    videoImageUrl: null,
    apiResponse: {
      status: 'success',
      statusCode: 200,
      metadata: { requestId: attempt.requestId, transactionId: attempt.transactionId },
      result: { details: { uploadUrls, urls: [], length: uploadUrls.length } },
    },
  };
}

/** The results body for a transaction's attempts (oldest first, at least one). */
export function recordingResult(attempts: readonly RecordingAttempt[], videoUrl: (attempt: RecordingAttempt) => string | undefined): HvRecordingResult {
  if (attempts.length === 0) throw new RangeError('recordingResult: no attempts');
  const current = attempts[attempts.length - 1]!;
  return {
    ...moduleResult(current, videoUrl(current)),
    attempts: attempts.length,
    previousAttempts: attempts.slice(0, -1).map((attempt) => moduleResult(attempt, videoUrl(attempt))),
  };
}
