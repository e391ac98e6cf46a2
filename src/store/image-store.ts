/**
 * Short-lived image storage (e.g. the face crop behind checkLiveness' croppedImageUrl). An interface
 * so that the embedded local-file store can be swapped for S3-compatible object storage when the
 * service runs as several replicas (DESIGN.md "Scale-out").
 */
export interface ImageStore {
  /** Stores the bytes; returns an opaque id (URL-safe) under which `get` finds them until they expire. */
  put(bytes: Uint8Array, contentType: string): Promise<string>;
  /** The stored image, or undefined when the id is unknown, malformed or expired. */
  get(id: string): Promise<{ bytes: Uint8Array; contentType: string } | undefined>;
  /**
   * A direct, time-limited URL to the image in object storage (S3_PUBLIC_URLS=presigned), valid `expiresInSeconds`;
   * undefined when the store serves the bytes itself. Absent on stores that never do (the local one).
   */
  directUrl?(id: string, expiresInSeconds: number): Promise<string | undefined>;
  /** Stops background work (cleanup timers). */
  close(): Promise<void>;
}
