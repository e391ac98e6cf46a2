/**
 * HyperVerge checkLiveness request → LivenessOptions (pure; no HTTP objects). Form fields and values
 * per HyperVerge's Selfie Validation API and "Additional Checks for Liveness" pages: `image` (file),
 * `returnCroppedImageURL`, `qualityChecks.<name>`, `ageRange`, `checkGender`, `preferences.returnScore`,
 * each "yes" or "no", default "no". Any other value is a 400 that names the field.
 */
import { AppError } from '../../errors.js';
import { QUALITY_CHECKS, type LivenessOptions, type QualityCheck } from '../../pipeline/types.js';

/** A parsed multipart form: Hono's parseBody({ all: true }) output. */
export type FormFields = Record<string, string | File | (string | File)[]>;

export interface CheckLivenessRequest {
  image: Uint8Array;
  options: LivenessOptions;
}

/** Flag fields other than the quality checks, with defaults "no". */
const FLAG_FIELDS = ['returnCroppedImageURL', 'ageRange', 'checkGender', 'preferences.returnScore'] as const;

/** `transactionId` header: mandatory, echoed back, so bounded and printable. */
export function parseTransactionId(value: string | undefined): string {
  const id = value?.trim();
  if (!id) throw new AppError('BAD_REQUEST', 'the transactionId header is mandatory');
  if (id.length > 256 || !/^[\x20-\x7e]+$/.test(id)) {
    throw new AppError('BAD_REQUEST', 'the transactionId header must be 1–256 printable ASCII characters');
  }
  return id;
}

function single(form: FormFields, name: string): string | File | undefined {
  const value = form[name];
  if (Array.isArray(value)) throw new AppError('BAD_REQUEST', `form field "${name}" was sent ${value.length} times; send it once`);
  return value;
}

function yesNo(form: FormFields, name: string): boolean {
  const value = single(form, name);
  if (value === undefined) return false;
  if (typeof value !== 'string' || (value !== 'yes' && value !== 'no')) {
    throw new AppError('BAD_REQUEST', `form field "${name}" must be "yes" or "no"${typeof value === 'string' ? `, got "${value.slice(0, 40)}"` : ', got a file'}`);
  }
  return value === 'yes';
}

export async function parseCheckLivenessForm(form: FormFields): Promise<CheckLivenessRequest> {
  const image = single(form, 'image');
  if (image === undefined) throw new AppError('BAD_REQUEST', 'form field "image" (a JPG, JPEG or PNG file) is mandatory');
  if (typeof image === 'string') throw new AppError('BAD_REQUEST', 'form field "image" must be a file upload, not text');
  if (image.size === 0) throw new AppError('BAD_REQUEST', 'form field "image" is empty');

  // A misspelt check must not be silently skipped: the caller would believe it ran.
  for (const name of Object.keys(form)) {
    if (name.startsWith('qualityChecks.') && !(QUALITY_CHECKS as readonly string[]).includes(name.slice('qualityChecks.'.length))) {
      throw new AppError('BAD_REQUEST', `unknown quality check "${name}"; known: ${QUALITY_CHECKS.map((c) => `qualityChecks.${c}`).join(', ')}`);
    }
  }
  const qualityChecks: QualityCheck[] = QUALITY_CHECKS.filter((check) => yesNo(form, `qualityChecks.${check}`));
  const flags = Object.fromEntries(FLAG_FIELDS.map((f) => [f, yesNo(form, f)])) as Record<(typeof FLAG_FIELDS)[number], boolean>;

  return {
    image: new Uint8Array(await image.arrayBuffer()),
    options: {
      qualityChecks,
      ageRange: flags.ageRange,
      gender: flags.checkGender,
      croppedImage: flags.returnCroppedImageURL,
    },
  };
}
