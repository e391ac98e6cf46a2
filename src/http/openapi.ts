/**
 * OpenAPI 3.1 description of the vendor-compatible API, served at GET /openapi.json. Hand-written
 * (not generated) so that it documents intent — units, defaults, which fields are extensions — and is
 * checked against the implementation by the contract tests.
 */
import { QUALITY_CHECKS } from '../pipeline/types.js';
import { QUALITY_CHECK_RESPONSE_KEYS } from './contracts/hyperverge.js';

const yesNo = (description: string) => ({ type: 'string', enum: ['yes', 'no'], default: 'no', description });

const verdict = {
  type: 'object',
  required: ['value', 'confidence', 'score'],
  properties: {
    value: { type: 'string', enum: ['yes', 'no'] },
    confidence: { type: 'string', enum: ['high', 'low'] },
    score: { type: 'number', minimum: 0, maximum: 1, description: 'Extension: 0–1, higher = more "yes"; always present' },
  },
};

const summary = {
  type: 'object',
  required: ['action', 'details'],
  properties: {
    action: { type: 'string', enum: ['pass', 'fail', 'manualReview'] },
    details: {
      type: 'array',
      items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const metadata = {
  type: 'object',
  required: ['requestId'],
  properties: {
    requestId: { type: 'string', format: 'uuid', description: 'Ours, unique per request' },
    transactionId: { type: 'string', description: 'The transactionId header, echoed (absent only when it was missing or invalid)' },
  },
};

const errorResponse = (description: string, error: string, withSummary = false) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['status', 'statusCode', 'metadata', 'error'],
        properties: {
          status: { const: 'failure' },
          statusCode: { type: 'integer' },
          metadata,
          error: { const: error },
          reason: { type: 'string', description: 'Extension (4xx only): what was wrong and how to fix it' },
          ...(withSummary ? { result: { type: 'object', required: ['summary'], properties: { summary } } } : {}),
        },
      },
    },
  },
});

export function openApiDocument(version: string): Record<string, unknown> {
  const checkProperties = Object.fromEntries(
    QUALITY_CHECKS.map((check) => [`qualityChecks.${check}`, yesNo(`Run the ${check} check; answered under result.details.qualityChecks.${QUALITY_CHECK_RESPONSE_KEYS[check]}`)]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'face-liveness-service',
      version,
      description: 'Self-hosted, HyperVerge-compatible selfie liveness API (Selfie Validation API, /v1/checkLiveness).',
    },
    components: {
      securitySchemes: {
        appId: { type: 'apiKey', in: 'header', name: 'appId' },
        appKey: { type: 'apiKey', in: 'header', name: 'appKey' },
      },
    },
    paths: {
      '/v1/checkLiveness': {
        post: {
          operationId: 'checkLiveness',
          summary: 'Is the selfie of a live person? Optional quality checks, age range, gender and face crop.',
          security: [{ appId: [], appKey: [] }],
          parameters: [{ name: 'transactionId', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 256 }, description: 'Your id for the user journey; echoed in metadata.transactionId' }],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['image'],
                  properties: {
                    image: { type: 'string', contentMediaType: 'application/octet-stream', description: 'JPG/JPEG or PNG, type sniffed from the bytes; at most BODY_LIMIT_BYTES' },
                    returnCroppedImageURL: yesNo('Return result.croppedImageUrl: a signed link to the aligned face crop (JPEG), valid URL_TTL_SECONDS'),
                    ageRange: yesNo('Estimate an age range (result.details.ageRange)'),
                    checkGender: yesNo('Estimate gender (result.details.gender)'),
                    'preferences.returnScore': yesNo('Accepted for compatibility; scores are always returned'),
                    ...checkProperties,
                  },
                },
              },
            },
          },
          responses: {
            200: {
              description: 'Checked; result.summary.action says what to do (rules: RULES_FILE)',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['status', 'statusCode', 'metadata', 'result'],
                    properties: {
                      status: { const: 'success' },
                      statusCode: { const: 200 },
                      metadata,
                      result: {
                        type: 'object',
                        required: ['details', 'summary'],
                        properties: {
                          details: {
                            type: 'object',
                            required: ['liveFace'],
                            properties: {
                              liveFace: verdict,
                              qualityChecks: {
                                type: 'object',
                                description: 'Only the checks that were requested',
                                properties: Object.fromEntries(Object.values(QUALITY_CHECK_RESPONSE_KEYS).map((key) => [key, verdict])),
                              },
                              ageRange: {
                                type: 'object',
                                required: ['low', 'high', 'value', 'confidence'],
                                properties: {
                                  low: { type: 'integer', description: 'years, inclusive' },
                                  high: { type: 'integer', description: 'years, inclusive' },
                                  value: { type: 'string', examples: ['19-25'] },
                                  confidence: { type: 'string', enum: ['high', 'low'] },
                                  estimate: { type: 'number', description: 'Extension: point estimate, years' },
                                },
                              },
                              gender: {
                                type: 'object',
                                required: ['value', 'confidence'],
                                properties: {
                                  value: { type: 'string', enum: ['Male', 'Female'] },
                                  confidence: { type: 'string', enum: ['high', 'low'] },
                                  score: { type: 'number', minimum: 0, maximum: 1, description: 'Extension: probability of value, 0–1' },
                                },
                              },
                            },
                          },
                          summary,
                          croppedImageUrl: { type: 'string', format: 'uri' },
                        },
                      },
                    },
                  },
                },
              },
            },
            400: errorResponse('"Error while parsing request body" (bad form, missing transactionId, value not yes/no), or "Unsupported file type" with summary fail/111', 'Error while parsing request body'),
            401: errorResponse('Missing or wrong appId/appKey', 'Missing/Invalid credentials'),
            403: errorResponse('The app may not call this API', 'Unauthorized Access to API'),
            413: errorResponse('Body over BODY_LIMIT_BYTES, or image over the pixel limit', 'Content Too Large'),
            422: errorResponse('No face in the image; summary fail/121 "Face Not detected in selfie image"', 'No face detected', true),
            429: errorResponse("Over the app's rateLimitPerMinute; see Retry-After", 'Rate limit error'),
            500: errorResponse('Unexpected failure; summary manualReview/110', 'Internal Server Error', true),
            503: errorResponse('All workers busy and the queue full; retry (Retry-After)', 'SERVER BUSY - retry after sometime'),
          },
        },
      },
      '/v1/croppedImage/{id}': {
        get: {
          operationId: 'getCroppedImage',
          summary: 'The face crop behind a croppedImageUrl (the signed link is the credential)',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'expires', in: 'query', required: true, schema: { type: 'integer' }, description: 'Unix seconds' },
            { name: 'signature', in: 'query', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' }, description: 'hex HMAC-SHA256 over "croppedImage/<id>:<expires>"' },
          ],
          responses: {
            200: { description: 'The crop', content: { 'image/jpeg': {} } },
            403: errorResponse('Signature wrong or link expired', 'Unauthorized Access to API'),
            404: errorResponse('No image under this id (never stored, or already deleted)', 'Not Found'),
          },
        },
      },
    },
  };
}
