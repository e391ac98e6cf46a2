/**
 * In-process fan-out of live call events (README "Live agent mode"): the person's and the agent's Server-Sent Events
 * streams subscribe to their channel, and the commands publish to it. Events for a channel nobody listens to yet are
 * kept (up to BACKLOG_EVENTS) and handed to the next subscriber, so an SDP offer sent before the agent's console opened
 * its stream, or an answer sent while the person's page reconnects, is not lost.
 *
 * The hub also says since when a channel has had no subscriber (`absentSince`): a call whose person (or agent) stays
 * away longer than LIVE_DROP_GRACE_SECONDS is dropped by the sweep (live-calls.ts).
 *
 * Two implementations of `LiveEvents`: `LiveEventHub` here keeps everything in this process (the embedded SQLite
 * store: one process); `PostgresLiveEventHub` (./live-events-postgres.ts, with DATABASE_URL) fans out across replicas
 * through PostgreSQL, so a person whose stream is on one replica and an agent on another see each other's signals.
 */

export interface LiveEvent {
  /** The SSE `event:` name (queue, call, signal, prompt, ended, checks). */
  event: string;
  /** Sent as the JSON `data:` line. */
  data: unknown;
}

type Listener = (event: LiveEvent) => void;

/** How the live calls publish to and follow the person's and the agent's channels (see the file comment). */
export interface LiveEvents {
  /**
   * Sends to the channel's subscribers, or keeps the event for the next one. `live`: a state change a stream that
   * connects later is told from the stored state anyway (a queue place, a call): sent to subscribers only, not kept.
   * `final`: the conversation on this channel is over: not kept, and the channel's backlog is forgotten.
   */
  publish(channel: string, event: string, data: unknown, options?: { final?: boolean; live?: boolean }): void;
  /** Subscribes; the channel's backlog is delivered first. Answers the unsubscribe function (idempotent). */
  subscribe(channel: string, listener: Listener): () => void;
  /** Whether someone listens on the channel now. */
  connected(channel: string): boolean;
  /** (Re)starts the absence clock of a channel nobody listens to now. */
  expect(channel: string): void;
  /** Since when (ms since the epoch) the channel has had no subscriber; undefined while connected or never expected. */
  absentSince(channel: string): number | undefined;
  /** Registers how to end one open stream when the process stops taking work (`endStreams`); answers the unregister function. */
  onEnd(end: () => void): () => void;
  /** Ends every open stream of this process (it is draining). */
  endStreams(): void;
  /** Forgets a finished conversation's channel (its backlog and absence clock). */
  forget(channel: string): void;
}

/**
 * Events kept for a channel without a subscriber. A WebRTC negotiation is one offer or answer plus a few dozen ICE
 * candidates (one per local interface and transport, RFC 8445 §5.1.1): 256 holds several renegotiations.
 */
export const BACKLOG_EVENTS = 256;

export const personChannel = (sessionId: string) => `person:${sessionId}`;
export const agentChannel = (callId: string) => `agent:${callId}`;

/**
 * The open streams' endings, for `LiveEvents.onEnd` / `endStreams`: both hubs (this process's and the PostgreSQL one)
 * end their streams the same way, so they share this.
 */
export class StreamEndings {
  private readonly endings = new Set<() => void>();

  add(end: () => void): () => void {
    this.endings.add(end);
    return () => this.endings.delete(end);
  }

  endAll(): void {
    for (const end of [...this.endings]) end();
    this.endings.clear();
  }
}

export class LiveEventHub implements LiveEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly backlog = new Map<string, LiveEvent[]>();
  private readonly absent = new Map<string, number>();
  private readonly endings = new StreamEndings();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Sends to the channel's subscribers, or keeps the event for the next one. `live`: a state change a stream that
   * connects later is told from the stored state anyway (a queue place, a call): sent to subscribers only, not kept.
   * `final`: the conversation on this channel is over: not kept, and the channel's backlog is forgotten.
   */
  publish(channel: string, event: string, data: unknown, options: { final?: boolean; live?: boolean } = {}): void {
    const message = { event, data };
    const listeners = this.listeners.get(channel);
    if (options.final) this.forget(channel);
    if (listeners && listeners.size > 0) {
      for (const listener of [...listeners]) listener(message);
      return;
    }
    if (options.final || options.live) return;
    const kept = this.backlog.get(channel) ?? [];
    kept.push(message);
    if (kept.length > BACKLOG_EVENTS) kept.shift();
    this.backlog.set(channel, kept);
  }

  /** Subscribes; the channel's backlog is delivered first. Answers the unsubscribe function (idempotent). */
  subscribe(channel: string, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    this.absent.delete(channel);
    const kept = this.backlog.get(channel);
    this.backlog.delete(channel);
    for (const message of kept ?? []) listener(message);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(channel);
        this.absent.set(channel, this.now());
      }
    };
  }

  /** Whether someone listens on the channel now. */
  connected(channel: string): boolean {
    return (this.listeners.get(channel)?.size ?? 0) > 0;
  }

  /**
   * (Re)starts the absence clock of a channel nobody listens to now: a call starts before its agent opened the stream,
   * or while the person's page is away; either has the whole grace from now to (re)connect.
   */
  expect(channel: string): void {
    if (!this.connected(channel)) this.absent.set(channel, this.now());
  }

  /** Since when (ms since the epoch) the channel has had no subscriber; undefined while connected or never expected. */
  absentSince(channel: string): number | undefined {
    return this.connected(channel) ? undefined : this.absent.get(channel);
  }

  /**
   * Registers how to end one open stream when the process stops taking work (`endStreams`); answers the unregister
   * function (call it when the stream ends on its own).
   */
  onEnd(end: () => void): () => void {
    return this.endings.add(end);
  }

  /**
   * Ends every open stream (the process is draining, SIGTERM): the server can then close its connections at once
   * instead of waiting out the grace period, and browsers reconnect (EventSource by itself) to a replica that serves.
   */
  endStreams(): void {
    this.endings.endAll();
  }

  /** Forgets a finished conversation's channel (its backlog and absence clock). */
  forget(channel: string): void {
    this.backlog.delete(channel);
    this.absent.delete(channel);
  }
}
