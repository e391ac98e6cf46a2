/** The part of s3rver's API the tests use (the package ships no types): https://github.com/jamhall/s3rver#readme */
declare module 's3rver' {
  interface S3rverOptions {
    address?: string;
    /** 0 = any free port. */
    port?: number;
    silent?: boolean;
    /** Where buckets and objects are kept (plain files). */
    directory: string;
    configureBuckets?: { name: string }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
