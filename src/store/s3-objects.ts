/**
 * What the two S3 stores share (s3-media-store.ts for evidence, s3-image-store.ts for face crops): reading S3's "no
 * such object" answer, deleting keys in DeleteObjects batches, and listing the ids under a prefix for the orphan sweeps.
 */
import { DeleteObjectsCommand, paginateListObjectsV2, type S3Client, type S3ServiceException } from '@aws-sdk/client-s3';

/** Keys per DeleteObjects request: the API's maximum (S3 API Reference, DeleteObjects: "up to 1,000 keys"). */
export const DELETE_BATCH_KEYS = 1000;

/** S3's answer for a missing object: NoSuchKey on GetObject, NotFound (a bare 404) on HeadObject. */
export function isNotFound(error: unknown): boolean {
  const e = error as Partial<S3ServiceException>;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** DeleteObjects in batches; a key already gone counts as deleted (S3 answers it as deleted). */
export async function deleteKeys(client: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH_KEYS) {
    const batch = keys.slice(i, i + DELETE_BATCH_KEYS);
    const result = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    if (result.Errors && result.Errors.length > 0) {
      const first = result.Errors[0]!;
      throw new Error(`DeleteObjects: ${result.Errors.length} of ${batch.length} key(s) not deleted, e.g. ${first.Key}: ${first.Code} ${first.Message}`);
    }
  }
}

/**
 * The ids of the objects under `prefix` (the key less the prefix) that match `idPattern`, each with its LastModified
 * time, ms since the epoch (`listedAt` where S3 gives none). Other keys under the prefix are not the store's: skipped.
 */
export async function listIds(client: S3Client, bucket: string, prefix: string, idPattern: RegExp, listedAt: number): Promise<Map<string, number>> {
  const objects = new Map<string, number>();
  for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      const id = object.Key?.slice(prefix.length);
      if (id !== undefined && idPattern.test(id)) objects.set(id, object.LastModified?.getTime() ?? listedAt);
    }
  }
  return objects;
}
