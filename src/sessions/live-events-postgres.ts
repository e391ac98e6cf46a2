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
 * do.
 *
 * Fan-out: as in process, every subscriber of a channel gets every event, so every replica with a subscriber on the
 * channel reads every row. One channel can have subscribers on two replicas: a page that reconnected to B while its
 * dead stream on A is still subscribed (A notices only when a write fails). Each replica keeps a cursor per channel
 * (the last event id it delivered), in memory and in its presence row (`live_presence.delivered_id`), and reads the
 * rows after it. A row goes once every replica with a fresh presence on the channel has delivered it (and by the
 * backlog limit, the channel's `final` event without a stream, `forget` and age). A replica whose first subscriber
 * arrives starts after what the channel's other replicas all delivered, or at the channel's first row (the backlog)
 * when it has none: a second stream gets only what comes after it, as in process. Cursors need ids that become
 * visible in order: publishing takes a per-channel advisory lock for its transaction, so a channel's rows commit in id
 * order even when two replicas publish at once.
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
 *
 * Idle: a replica with no subscriber that nobody asked about a channel (`connected`, `absentSince`, `expect`: the live
 * calls' sweep asks every second while a call is in progress) for IDLE_AFTER_MS skips its heartbeat's reads and
 * forgets what it knew of the others; the first question wakes it (a sync at once), and its answers stay "unknown"
 * (not connected, no absence clock) until that sync. What it skipped is not lost: a stopped replica's rows turn into
 * absence since their last renewal whenever a sync runs. Rows past LIVE_ROW_MAX_AGE_MS are deleted every
 * ROW_EXPIRY_INTERVAL_MS, idle or not.
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
  // The replica's cursor on the channel: the last live_events id it delivered (every replica reads every row).
  `ALTER TABLE live_presence ADD COLUMN delivered_id BIGINT NOT NULL DEFAULT 0;`,
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

/**
 * How often a replica deletes the rows past LIVE_ROW_MAX_AGE_MS, ms: a minute late on a day's age changes nothing, and
 * once a minute instead of every heartbeat saves two statements a second per replica.
 */
export const ROW_EXPIRY_INTERVAL_MS = 60_000;

/**
 * A replica without subscribers that nobody asked about a channel for this long, ms, stops its heartbeat's reads:
 * PRESENCE_STALE_MS, five of the live calls' sweeps (every second, asking about each call in progress) missed.
 */
export const IDLE_AFTER_MS = PRESENCE_STALE_MS;

/**
 * A transaction-scoped advisory lock per channel (a 32-bit hash of the name; a collision only serialises two
 * channels' publishers), held from before the row's id is drawn until its commit: a channel's rows become visible in
 * id order, so a cursor never passes a row that commits later with a smaller id.
 */
const CHANNEL_LOCK = "SELECT pg_advisory_xact_lock(hashtext('live-events:' || $1))";

/**
 * The lowest cursor on channel `r.channel` among the other replicas with a fresh presence row ($3: this replica, $4:
 * the freshness limit): the rows up to it are delivered everywhere else. NULL when there is none (LEAST ignores it).
 */
const OTHERS_DELIVERED = `(SELECT min(o.delivered_id) FROM live_presence o WHERE o.channel = r.channel AND o.replica <> $3 AND o.seen_at > $4)`;

type Listener = (event: LiveEvent) => void;

interface EventRow {
  id: number;
  channel: string;
  event: string;
  data: string;
  created_at: number;
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
  /** The last event id delivered here, per channel with a presence row of this replica (changed on the queue only). */
  private readonly cursors = new Map<string, number>();
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
  /** When `connected`, `absentSince` or `expect` was last called, ms (the hub's clock). */
  private askedAt = Number.NEGATIVE_INFINITY;
  /** Whether the heartbeat skips its reads (see the file comment, "Idle"). */
  private idle = false;
  /** When the rows past LIVE_ROW_MAX_AGE_MS were last deleted, ms. */
  private expiredAt = Number.NEGATIVE_INFINITY;

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

  /** Runs the heartbeat every PRESENCE_HEARTBEAT_MS until `close()`: `sync()`, or only the expiry while idle. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.heartbeat().catch((error: unknown) => this.log(`live events: sync failed: ${String(error)}`)), PRESENCE_HEARTBEAT_MS);
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
    this.asked();
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
   * deletes rows past LIVE_ROW_MAX_AGE_MS (every ROW_EXPIRY_INTERVAL_MS), reads the other replicas' presence and the
   * absence clocks, and delivers what waits for this replica's streams (a notification lost with the listening
   * connection). The timer runs it unless the replica is idle; tests call it after moving their clock.
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
      await this.deleteExpired(now);
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
   * The timer's tick: `sync()` while this replica has a subscriber or was asked about a channel within IDLE_AFTER_MS;
   * else (idle) only the expiry, and what it knew of the other replicas is dropped: it would go stale unseen, and a
   * stale absence clock could drop a call whose stream is open elsewhere.
   */
  private heartbeat(): Promise<void> {
    if (this.listeners.size > 0 || this.now() - this.askedAt < IDLE_AFTER_MS) {
      this.idle = false;
      return this.sync();
    }
    if (!this.idle) {
      this.idle = true;
      this.othersSeen.clear();
      this.absence.clear();
    }
    return this.enqueue(() => this.deleteExpired(this.now()));
  }

  /** Notes a question about a channel; an idle replica syncs at once (its answers are "unknown" until then). */
  private asked(): void {
    this.askedAt = this.now();
    if (!this.idle) return;
    this.idle = false;
    void this.sync();
  }

  /** Deletes the rows past LIVE_ROW_MAX_AGE_MS, at most once per ROW_EXPIRY_INTERVAL_MS (one statement). */
  private async deleteExpired(now: number): Promise<void> {
    if (now - this.expiredAt < ROW_EXPIRY_INTERVAL_MS) return;
    this.expiredAt = now;
    await this.db.query(undefined, 'WITH events AS (DELETE FROM live_events WHERE created_at < $1) DELETE FROM live_absence WHERE since < $1', [
      now - LIVE_ROW_MAX_AGE_MS,
    ]);
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
      await this.db.query(tx, CHANNEL_LOCK, [channel]);
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

  /**
   * Upserts this replica's presence on `channels` (seen now, with its cursor) and stops their absence clocks. A channel
   * without a cursor here yet starts at the lowest cursor of the other replicas with a stream on it (what they all
   * delivered), or before the channel's first row when none has (the backlog is this stream's).
   */
  private async announce(channels: string[]): Promise<void> {
    if (channels.length === 0) return;
    const now = this.now();
    const rows = await this.db.transaction(async (tx) => {
      const { rows } = await this.db.query<{ channel: string; delivered_id: number }>(
        tx,
        `INSERT INTO live_presence (channel, replica, seen_at, delivered_id)
         SELECT r.channel, $3, $5, COALESCE(r.delivered_id, ${OTHERS_DELIVERED}, 0) FROM unnest($1::text[], $2::bigint[]) AS r (channel, delivered_id)
         ON CONFLICT (channel, replica) DO UPDATE SET seen_at = excluded.seen_at, delivered_id = excluded.delivered_id
         RETURNING channel, delivered_id`,
        [channels, channels.map((channel) => this.cursors.get(channel) ?? null), this.replica, now - PRESENCE_STALE_MS, now],
      );
      await this.db.query(tx, 'DELETE FROM live_absence WHERE channel = ANY($1)', [channels]);
      return rows;
    });
    for (const row of rows) if (!this.cursors.has(row.channel)) this.cursors.set(row.channel, row.delivered_id);
  }

  /**
   * Deletes this replica's presence on `channels` still without a subscriber here, and the rows it delivered that no
   * other replica with a stream there still needs; those nobody else has start their absence clock. What it had not
   * delivered stays, the backlog of the next stream.
   */
  private async withdraw(channels: string[]): Promise<void> {
    const gone = channels.filter((channel) => !this.connectedHere(channel));
    if (gone.length === 0) return;
    const now = this.now();
    await this.db.transaction(async (tx) => {
      await this.db.query(tx, 'DELETE FROM live_presence WHERE channel = ANY($1) AND replica = $2', [gone, this.replica]);
      await this.db.query(
        tx,
        `DELETE FROM live_events e USING unnest($1::text[], $2::bigint[]) AS r (channel, delivered_id)
         WHERE e.channel = r.channel AND e.id <= LEAST(r.delivered_id, ${OTHERS_DELIVERED})`,
        [gone, gone.map((channel) => this.cursors.get(channel) ?? 0), this.replica, now - PRESENCE_STALE_MS],
      );
      await this.db.query(
        tx,
        `INSERT INTO live_absence (channel, since) SELECT c, $2 FROM unnest($1::text[]) AS c
         WHERE NOT EXISTS (SELECT 1 FROM live_presence p WHERE p.channel = c AND p.seen_at > $3)
         ON CONFLICT (channel) DO UPDATE SET since = excluded.since`,
        [gone, now, now - PRESENCE_STALE_MS],
      );
    });
    for (const channel of gone) this.cursors.delete(channel);
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
   * Reads the rows after this replica's cursor on `channels`, records the new cursors (deleting the rows every replica
   * with a stream there now has: `advance`) and hands the rows, oldest first, to this replica's subscribers. A channel
   * whose last subscriber left meanwhile gets its rows and its cursor back.
   */
  private async drain(channels: string[]): Promise<void> {
    const wanted = channels.filter((channel) => this.connectedHere(channel) && this.cursors.has(channel));
    if (wanted.length === 0) return;
    const before = new Map(wanted.map((channel) => [channel, this.cursors.get(channel)!]));
    const { rows } = await this.db.query<EventRow>(
      undefined,
      `SELECT e.id, e.channel, e.event, e.data, e.created_at
       FROM live_events e JOIN unnest($1::text[], $2::bigint[]) AS r (channel, delivered_id) ON e.channel = r.channel AND e.id > r.delivered_id
       ORDER BY e.id`,
      [wanted, [...before.values()]],
    );
    if (rows.length === 0) return;
    const reached = new Map<string, number>();
    for (const row of rows) reached.set(row.channel, row.id);
    const deleted = await this.advance(reached);
    const orphans = new Map<string, EventRow[]>();
    for (const row of rows) {
      const listeners = this.listeners.get(row.channel);
      if (!listeners || listeners.size === 0) {
        orphans.set(row.channel, [...(orphans.get(row.channel) ?? []), row]);
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
    for (const [channel, lost] of orphans) await this.restore(channel, before.get(channel)!, lost.filter((row) => deleted.has(row.id)));
  }

  /**
   * Moves this replica's cursors to `reached` (channel → last id read), here and in its presence rows, and deletes the
   * rows up to the lowest cursor of the replicas with a fresh presence on the channel, this one included. Answers the
   * ids deleted. Two statements, the cursor's committed before the delete starts: when two replicas advance at once,
   * one statement each would read the other's cursor as it was before both (each statement's snapshot), and the last
   * rows would stay until they expire; this way the later delete sees both cursors.
   */
  private async advance(reached: Map<string, number>): Promise<Set<number>> {
    const cursors = [[...reached.keys()], [...reached.values()]];
    await this.db.query(
      undefined,
      `UPDATE live_presence p SET delivered_id = r.delivered_id FROM unnest($1::text[], $2::bigint[]) AS r (channel, delivered_id)
       WHERE p.channel = r.channel AND p.replica = $3`,
      [...cursors, this.replica],
    );
    const { rows } = await this.db.query<{ id: number }>(
      undefined,
      `DELETE FROM live_events e USING unnest($1::text[], $2::bigint[]) AS r (channel, delivered_id)
       WHERE e.channel = r.channel AND e.id <= LEAST(r.delivered_id, ${OTHERS_DELIVERED})
       RETURNING e.id`,
      [...cursors, this.replica, this.now() - PRESENCE_STALE_MS],
    );
    for (const [channel, id] of reached) this.cursors.set(channel, id);
    return new Set(rows.map((row) => row.id));
  }

  /** Puts back a channel's cursor (`delivered`) and the rows `advance` deleted but nobody here received, with their ids. */
  private async restore(channel: string, delivered: number, rows: EventRow[]): Promise<void> {
    this.cursors.set(channel, delivered);
    await this.db.query(
      undefined,
      `WITH back AS (UPDATE live_presence SET delivered_id = $2 WHERE channel = $1 AND replica = $3)
       INSERT INTO live_events (id, channel, event, data, created_at) OVERRIDING SYSTEM VALUE
       SELECT r.id, $1, r.event, r.data, r.created_at FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[]) AS r (id, event, data, created_at)
       ON CONFLICT (id) DO NOTHING`,
      [channel, delivered, this.replica, rows.map((row) => row.id), rows.map((row) => row.event), rows.map((row) => row.data), rows.map((row) => row.created_at)],
    );
  }
}
