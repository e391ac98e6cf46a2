/**
 * Wake-ups between replicas over PostgreSQL's LISTEN/NOTIFY (https://www.postgresql.org/docs/current/sql-notify.html):
 * a job enqueued, a webhook event recorded or a live call event published on one replica wakes the others at once
 * instead of at their next poll.
 *
 * Why NOTIFY: sent inside a transaction, a notification is delivered only when (and if) that transaction commits, so a
 * listener woken by it finds the new rows; a rolled-back transaction wakes nobody. Payloads are kept small (a job type,
 * a channel name): NOTIFY refuses payloads of 8000 bytes or more, so the data itself always stays in its table.
 *
 * One dedicated connection per process listens (LISTEN binds to the session, so it cannot be a pooled connection that
 * changes hands); it is opened by the first `listen` and not counted in DATABASE_MAX_CONNECTIONS. Notifications are a
 * wake-up, never the only way work is found: every consumer still polls, and when the listening connection fails it is
 * reopened with a backoff and every listener's `resync` runs (notifications sent while it was down are lost, so each
 * consumer looks at its table once).
 */
import pg from 'pg';

/** The first reconnection delay after the listening connection fails, ms; doubles up to RECONNECT_MAX_MS. */
const RECONNECT_BASE_MS = 100;
/** The longest delay between reconnection attempts, ms: about the consumers' own poll interval (1 s) times five. */
const RECONNECT_MAX_MS = 5000;

/** Channel names: plain lower-case identifiers (LISTEN takes an identifier, not a parameter). */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface Listener {
  onNotify: (payload: string) => void;
  resync: () => void;
}

export class PostgresNotifications {
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly log: (message: string) => void,
  ) {}

  /**
   * Calls `onNotify(payload)` for every notification on `channel` (from any replica, this one included), and `resync()`
   * after the listening connection was reopened. Resolves once the channel is listened to; answers the unlisten function.
   */
  async listen(channel: string, onNotify: (payload: string) => void, resync: () => void = () => {}): Promise<() => void> {
    if (!CHANNEL_NAME.test(channel)) throw new RangeError(`notification channel ${JSON.stringify(channel)}: lower-case letters, digits and _ only`);
    const listener: Listener = { onNotify, resync };
    let set = this.listeners.get(channel);
    const first = !set;
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    await this.connected();
    if (first) await this.client?.query(`LISTEN ${channel}`);
    return () => {
      set.delete(listener);
      // The channel stays listened to until close(): an idle LISTEN costs nothing and avoids LISTEN/UNLISTEN races.
    };
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connected(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (message) => {
      for (const listener of [...(this.listeners.get(message.channel) ?? [])]) {
        try {
          listener.onNotify(message.payload ?? '');
        } catch (error) {
          this.log(`postgres notifications: a listener on ${message.channel} failed: ${String(error)}`);
        }
      }
    });
    // Errors on an idle client are emitted, not thrown: without a listener they would end the process.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    try {
      await client.connect();
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      for (const channel of this.listeners.keys()) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  /** The listening connection failed: forget it and reopen with a backoff; listeners resync once it is back. */
  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.log(`postgres notifications: the listening connection failed (${error.message}); reconnecting`);
    this.reconnect();
  }

  private reconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delayMs = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.failures);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connected().then(
        () => {
          this.failures = 0;
          for (const set of this.listeners.values()) for (const listener of [...set]) listener.resync();
        },
        (error: unknown) => {
          this.failures++;
          this.log(`postgres notifications: reconnecting failed (${String(error)}); retrying in ${Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.failures)} ms`);
          this.reconnect();
        },
      );
    }, delayMs);
    this.retryTimer.unref();
  }
}
