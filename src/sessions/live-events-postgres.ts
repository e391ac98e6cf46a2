/**
 * Live call events across replicas (DATABASE_URL; README "Live agent mode"): the `LiveEvents` of ./live-events.ts on
 * PostgreSQL, so a person whose events stream is open on replica A and an agent on replica B see each other's offers,
 * answers, ICE candidates, prompts and endings, and each replica's sweep knows whether a stream on another is open.
 *
 * Events: a published event is a row of `live_events` (channel, event, JSON data), and `NOTIFY live_events` carries
 * only the channel name (https://www.postgresql.org/docs/current/sql-notify.html: payloads must stay under 8000 bytes;
 * an SDP offer with its candidates can be larger). The table, not chunked notifications, because the rows are also the
 * backlog: an event for a channel nobody listens to yet waits there (up to BACKLOG_EVENTS per channel) for whichever
 * replica the stream connects to, which a notification (delivered only to sessions listening at that moment) cannot
 * do. A replica with a subscriber on the channel claims the rows (DELETE … RETURNING over SELECT … FOR UPDATE SKIP
 * LOCKED: one replica delivers each row, and delivered rows are gone) and hands them to its streams in order.
 *
 * Presence: each replica keeps a `live_presence` row per channel it has a subscriber on, its `seen_at` renewed every
 * PRESENCE_HEARTBEAT_MS. A channel is connected while any replica's row is younger than PRESENCE_STALE_MS. When the
 * last subscriber leaves, the replica deletes its row and starts the channel's absence clock (`live_absence.since`);
 * a replica that died stops renewing, and the first `sync` after PRESENCE_STALE_MS turns its rows into absence since
 * their last `seen_at`. So the drop grace (LIVE_DROP_GRACE_SECONDS) counts from the moment the stream was last known
 * open, on every replica alike; a dead replica's streams are noticed after the larger of the grace and
 * PRESENCE_STALE_MS. Times are the replicas' clocks (ms since the epoch): replicas must keep them in sync (NTP), well
 * within PRESENCE_STALE_MS.
 *
 * Publishing, subscribing and the clocks keep the in-process hub's synchronous interface: the writes run in order on
 * one queue per process (a failure is logged; the streams' replay on reconnect restores the state), and `connected` /
 * `absentSince` read what the last `sync` (every PRESENCE_HEARTBEAT_MS once started) saw of the other replicas.
 */
import { randomUUID } from 'node:crypto';
import type { PostgresDatabase } from '../store/postgres.js';
import { BACKLOG_EVENTS, StreamEndings, type LiveEvent, type LiveEvents } from './live-events.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_LIVE_EVENT_MIGRATIONS = [
  `CREATE TABLE live_events (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     channel TEXT NOT NULL,
     event TEXT NOT NULL,
     data TEXT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX live_events_channel ON live_events (channel, id);
   CREATE INDEX live_events_created ON live_events (created_at);
   CREATE TABLE live_presence (
     channel TEXT NOT NULL,
     replica TEXT NOT NULL,
     seen_at BIGINT NOT NULL,
     PRIMARY KEY (channel, replica)
   );
   CREATE INDEX live_presence_seen ON live_presence (seen_at);
   CREATE TABLE live_absence (
     channel TEXT PRIMARY KEY,
     since BIGINT NOT NULL
   );`,
];

/** The NOTIFY channel; the payload is the live channel's name (`person:<session id>`, `agent:<call id>`: < 100 bytes). */
export const LIVE_EVENTS_CHANNEL = 'live_events';

/** How often a replica renews its presence rows and reads the others', ms: the live calls' sweep interval (live-calls.ts). */
export const PRESENCE_HEARTBEAT_MS = 1000;

/**
 * A presence row older than this, ms, is a stream whose replica stopped (crashed, or its event loop stalled that long):
 * five missed heartbeats, so one slow round trip or garbage-collection pause does not count as a drop.
 */
export const PRESENCE_STALE_MS = 5 * PRESENCE_HEARTBEAT_MS;

/**
 * Rows older than this, ms, are deleted whatever their channel: the longest a live conversation can last (the upper
 * bound of LIVE_QUEUE_WAIT_SECONDS and of LIVE_CALL_MAX_SECONDS in src/config.ts, 86 400 s). Channels normally end
 * with their `final` event, which clears them.
 */
export const LIVE_ROW_MAX_AGE_MS = 86_400_000;

type Listener = (event: LiveEvent) => void;

interface EventRow {
  id: number;
  channel: string;
  event: string;
  data: string;
}

export interface PostgresLiveEventHubOptions {
  /** Clock, ms since the epoch. Default Date.now. */
  now?: () => number;
  log?: (message: string) => void;
}

export class PostgresLiveEventHub implements LiveEvents {
  /** This process's id in `live_presence`. */
  readonly replica = randomUUID();
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly endings = new StreamEndings();
  /** The other replicas' newest presence per channel (seen_at, ms), as of the last sync. */
  private othersSeen = new Map<string, number>();
  /** Absence clocks (since, ms), as of the last sync plus this replica's own changes since. */
  private absence = new Map<string, number>();
  /** Channels a notification asked to drain, waiting for the queue. */
  private readonly toDrain = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  private closed = false;

  private constructor(
    private readonly db: PostgresDatabase,
    options: PostgresLiveEventHubOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((message) => console.warn(message));
  }

  /** Applies the module's migrations and listens for other replicas' events; `start()` begins the heartbeat. */
  static async open(db: PostgresDatabase, options: PostgresLiveEventHubOptions = {}): Promise<PostgresLiveEventHub> {
    await db.migrate('live_events', POSTGRES_LIVE_EVENT_MIGRATIONS);
    const hub = new PostgresLiveEventHub(db, options);
    hub.unlisten = await db.listen(
      LIVE_EVENTS_CHANNEL,
      (channel) => hub.drainSoon([channel]),
      () => hub.drainSoon([...hub.listeners.keys()]),
    );
    return hub;
  }

  /** Runs `sync()` every PRESENCE_HEARTBEAT_MS until `close()`. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.sync().catch((error: unknown) => this.log(`live events: sync failed: ${String(error)}`)), PRESENCE_HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Stops the heartbeat, finishes the queued writes and withdraws this replica's presence (its streams' absence starts now). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.unlisten?.();
    await this.enqueue(async () => {
      const channels = [...this.listeners.keys()];
      this.listeners.clear();
      await this.withdraw(channels);
    }, { closing: true });
  }

  publish(channel: string, event: string, data: unknown, options: { final?: boolean; live?: boolean } = {}): void {
    if (options.final) this.absence.delete(channel);
    const localListeners = this.connectedHere(channel);
    void this.enqueue(() => this.store(channel, event, JSON.stringify(data ?? null), options, localListeners));
  }

  subscribe(channel: string, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    const first = !set;
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    this.absence.delete(channel);
    if (first) void this.enqueue(() => this.announce([channel]));
    this.drainSoon([channel]);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      set.delete(listener);
      if (set.size > 0 || this.listeners.get(channel) !== set) return;
      this.listeners.delete(channel);
      void this.enqueue(() => this.withdraw([channel]));
    };
  }

  connected(channel: string): boolean {
    if (this.connectedHere(channel)) return true;
    const seen = this.othersSeen.get(channel);
    return seen !== undefined && seen > this.now() - PRESENCE_STALE_MS;
  }

  expect(channel: string): void {
    if (this.connected(channel)) return;
    const since = this.now();
    void this.enqueue(async () => {
      // Only while no replica has a fresh presence row: a stream that connected meanwhile on another keeps the channel connected.
      await this.db.query(
        undefined,
        `INSERT INTO live_absence (channel, since) SELECT $1, $2
         WHERE NOT EXISTS (SELECT 1 FROM live_presence WHERE channel = $1 AND seen_at > $3)
         ON CONFLICT (channel) DO UPDATE SET since = excluded.since`,
        [channel, since, since - PRESENCE_STALE_MS],
      );
      await this.refresh([channel]);
    });
  }

  absentSince(channel: string): number | undefined {
    if (this.connected(channel)) return undefined;
    const since = this.absence.get(channel);
    const seen = this.othersSeen.get(channel);
    if (since === undefined) return seen;
    return seen === undefined ? since : Math.max(since, seen);
  }

  onEnd(end: () => void): () => void {
    return this.endings.add(end);
  }

  endStreams(): void {
    this.endings.endAll();
  }

  forget(channel: string): void {
    this.absence.delete(channel);
    this.othersSeen.delete(channel);
    void this.enqueue(async () => {
      await this.db.query(undefined, 'DELETE FROM live_events WHERE channel = $1', [channel]);
      await this.db.query(undefined, 'DELETE FROM live_absence WHERE channel = $1', [channel]);
    });
  }

  /**
   * One heartbeat: renews this replica's presence rows, turns the rows of replicas that stopped renewing into absence,
   * deletes rows past LIVE_ROW_MAX_AGE_MS, reads the other replicas' presence and the absence clocks, and claims what
   * waits for this replica's streams (a notification lost with the listening connection). The timer runs it; tests
   * call it after moving their clock.
   */
  sync(): Promise<void> {
    return this.enqueue(async () => {
      const now = this.now();
      await this.announce([...this.listeners.keys()]);
      await this.db.query(
        undefined,
        `WITH stale AS (DELETE FROM live_presence WHERE seen_at <= $1 RETURNING channel, seen_at)
         INSERT INTO live_absence (channel, since) SELECT channel, max(seen_at) FROM stale GROUP BY channel
         ON CONFLICT (channel) DO UPDATE SET since = GREATEST(live_absence.since, excluded.since)`,
        [now - PRESENCE_STALE_MS],
      );
      await this.db.query(undefined, 'DELETE FROM live_events WHERE created_at < $1', [now - LIVE_ROW_MAX_AGE_MS]);
      await this.db.query(undefined, 'DELETE FROM live_absence WHERE since < $1', [now - LIVE_ROW_MAX_AGE_MS]);
      const presence = await this.db.query<{ channel: string; seen_at: number }>(
        undefined,
        'SELECT channel, max(seen_at) AS seen_at FROM live_presence WHERE replica <> $1 GROUP BY channel',
        [this.replica],
      );
      const absence = await this.db.query<{ channel: string; since: number }>(undefined, 'SELECT channel, since FROM live_absence');
      this.othersSeen = new Map(presence.rows.map((row) => [row.channel, row.seen_at]));
      this.absence = new Map(absence.rows.filter((row) => !this.connectedHere(row.channel)).map((row) => [row.channel, row.since]));
      await this.drain([...this.listeners.keys()]);
    });
  }

  /** Resolves once every write and delivery queued so far has run (tests; close). */
  settled(): Promise<void> {
    return this.enqueue(async () => undefined);
  }

  private connectedHere(channel: string): boolean {
    return (this.listeners.get(channel)?.size ?? 0) > 0;
  }

  /**
   * Runs `work` after everything queued before it; a failure is logged and does not stop the queue. After `close()`
   * (its own withdrawal excepted) nothing more is written: the database may be closed already.
   */
  private enqueue(work: () => Promise<void>, options: { closing?: boolean } = {}): Promise<void> {
    if (this.closed && !options.closing) return this.queue;
    const run = this.queue.then(work).catch((error: unknown) => this.log(`live events: ${String(error)}`));
    this.queue = run;
    return run;
  }

  /**
   * Stores one event and notifies. `live` and `final` events are stored only while some replica has a stream on the
   * channel (else they are dropped, as in-process: the stored state tells a later stream); `final` without one also
   * deletes the channel's backlog. Everything else is kept, the oldest beyond BACKLOG_EVENTS dropped.
   */
  private async store(channel: string, event: string, data: string, options: { final?: boolean; live?: boolean }, localListeners: boolean): Promise<void> {
    const now = this.now();
    await this.db.transaction(async (tx) => {
      if (options.final) await this.db.query(tx, 'DELETE FROM live_absence WHERE channel = $1', [channel]);
      if (options.final || options.live) {
        const present =
          localListeners ||
          (await this.db.query<{ present: boolean }>(tx, 'SELECT EXISTS (SELECT 1 FROM live_presence WHERE channel = $1 AND seen_at > $2) AS present', [channel, now - PRESENCE_STALE_MS])).rows[0]!
            .present;
        if (!present) {
          if (options.final) await this.db.query(tx, 'DELETE FROM live_events WHERE channel = $1', [channel]);
          return;
        }
      }
      await this.db.query(tx, 'INSERT INTO live_events (channel, event, data, created_at) VALUES ($1, $2, $3, $4)', [channel, event, data, now]);
      await this.db.query(
        tx,
        `DELETE FROM live_events WHERE channel = $1 AND id <= (SELECT id FROM live_events WHERE channel = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
        [channel, BACKLOG_EVENTS],
      );
      await this.db.notify(tx, LIVE_EVENTS_CHANNEL, channel);
    });
  }

  /** Upserts this replica's presence on `channels` (seen now) and stops their absence clocks. */
  private async announce(channels: string[]): Promise<void> {
    if (channels.length === 0) return;
    await this.db.transaction(async (tx) => {
      await this.db.query(
        tx,
        `INSERT INTO live_presence (channel, replica, seen_at) SELECT unnest($1::text[]), $2, $3
         ON CONFLICT (channel, replica) DO UPDATE SET seen_at = excluded.seen_at`,
        [channels, this.replica, this.now()],
      );
      await this.db.query(tx, 'DELETE FROM live_absence WHERE channel = ANY($1)', [channels]);
    });
  }

  /** Deletes this replica's presence on `channels` still without a subscriber here; those nobody else has start their absence clock. */
  private async withdraw(channels: string[]): Promise<void> {
    const gone = channels.filter((channel) => !this.connectedHere(channel));
    if (gone.length === 0) return;
    const now = this.now();
    await this.db.transaction(async (tx) => {
      await this.db.query(tx, 'DELETE FROM live_presence WHERE channel = ANY($1) AND replica = $2', [gone, this.replica]);
      await this.db.query(
        tx,
        `INSERT INTO live_absence (channel, since) SELECT c, $2 FROM unnest($1::text[]) AS c
         WHERE NOT EXISTS (SELECT 1 FROM live_presence p WHERE p.channel = c AND p.seen_at > $3)
         ON CONFLICT (channel) DO UPDATE SET since = excluded.since`,
        [gone, now, now - PRESENCE_STALE_MS],
      );
    });
    await this.refresh(gone);
  }

  /**
   * Reads the other replicas' presence and the absence clocks of `channels` into what `connected` / `absentSince`
   * answer, after this replica changed them: the database, not this replica's last sync, decides whether a stream on
   * another replica keeps the channel connected.
   */
  private async refresh(channels: string[]): Promise<void> {
    const presence = await this.db.query<{ channel: string; seen_at: number }>(
      undefined,
      'SELECT channel, max(seen_at) AS seen_at FROM live_presence WHERE channel = ANY($1) AND replica <> $2 GROUP BY channel',
      [channels, this.replica],
    );
    const absence = await this.db.query<{ channel: string; since: number }>(undefined, 'SELECT channel, since FROM live_absence WHERE channel = ANY($1)', [channels]);
    for (const channel of channels) {
      this.othersSeen.delete(channel);
      this.absence.delete(channel);
    }
    for (const row of presence.rows) this.othersSeen.set(row.channel, row.seen_at);
    for (const row of absence.rows) if (!this.connectedHere(row.channel)) this.absence.set(row.channel, row.since);
  }

  /** Drains `channels` (those with a subscriber here) on the queue; notifications arriving meanwhile join the same drain. */
  private drainSoon(channels: string[]): void {
    const wanted = channels.filter((channel) => this.connectedHere(channel));
    if (wanted.length === 0 || this.closed) return;
    const idle = this.toDrain.size === 0;
    for (const channel of wanted) this.toDrain.add(channel);
    if (!idle) return;
    void this.enqueue(async () => {
      const batch = [...this.toDrain];
      this.toDrain.clear();
      await this.drain(batch);
    });
  }

  /**
   * Claims the rows waiting on `channels` (deleted in the same statement: delivered rows do not stay) and hands them,
   * oldest first, to this replica's subscribers. A channel whose last subscriber left meanwhile gets its rows back.
   */
  private async drain(channels: string[]): Promise<void> {
    const wanted = channels.filter((channel) => this.connectedHere(channel));
    if (wanted.length === 0) return;
    const { rows } = await this.db.query<EventRow>(
      undefined,
      `DELETE FROM live_events WHERE id IN (SELECT id FROM live_events WHERE channel = ANY($1) ORDER BY id FOR UPDATE SKIP LOCKED)
       RETURNING id, channel, event, data`,
      [wanted],
    );
    const orphans: EventRow[] = [];
    for (const row of rows.sort((a, b) => a.id - b.id)) {
      const listeners = this.listeners.get(row.channel);
      if (!listeners || listeners.size === 0) {
        orphans.push(row);
        continue;
      }
      const message: LiveEvent = { event: row.event, data: JSON.parse(row.data) as unknown };
      for (const listener of [...listeners]) {
        try {
          listener(message);
        } catch (error) {
          this.log(`live events: a subscriber of ${row.channel} failed: ${String(error)}`);
        }
      }
    }
    for (const row of orphans) {
      await this.db.query(undefined, 'INSERT INTO live_events (channel, event, data, created_at) VALUES ($1, $2, $3, $4)', [row.channel, row.event, row.data, this.now()]);
    }
  }
}
