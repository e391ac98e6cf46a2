/** Multipart request bodies for the vendor routes: one parser, so every route refuses bad bodies the same way. */
import { AppError } from '../errors.js';
import type { FormFields } from './contracts/hyperverge-request.js';

/** Reads a multipart/form-data body into FormFields (repeated fields become arrays); anything else is BAD_REQUEST. */
export async function readForm(req: Request): Promise<FormFields> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) throw new AppError('BAD_REQUEST', 'send the request as multipart/form-data');
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
