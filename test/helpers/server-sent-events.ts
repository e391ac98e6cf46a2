/**
 * Reads a Server-Sent Events response (the live call streams: the person's events_url, the agent's call events) as
 * the browser's EventSource would (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation,
 * only the `event:` and `data:` fields the service sends; each event's data is JSON). The caller checks the status and
 * headers it expects first.
 */

export interface ServerSentEvent {
  event: string;
  data: any;
}

export interface EventStreamReader {
  /** The next event named `name` (events of other names that come before it are kept for later); throws after `timeoutMs`. */
  next(name: string, timeoutMs?: number): Promise<ServerSentEvent>;
  /** Whether no event named `name` arrives within `ms` (default 50 ms). */
  none(name: string, ms?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** `defaultTimeoutMs`: how long `next` waits when not told. */
export function readEventStream(res: Response, defaultTimeoutMs: number): EventStreamReader {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: ServerSentEvent[] = [];
  const parse = () => {
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
    }
  };
  async function next(name: string, timeoutMs = defaultTimeoutMs): Promise<ServerSentEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = events.findIndex((e) => e.event === name);
      if (index >= 0) return events.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${name}" event within ${timeoutMs} ms (have: ${events.map((e) => e.event).join(', ') || 'none'})`);
      const chunk = await Promise.race([reader.read(), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), left))]);
      if (chunk === 'timeout') continue;
      if (chunk.done) throw new Error(`stream ended before a "${name}" event`);
      buffer += decoder.decode(chunk.value, { stream: true });
      parse();
    }
  }
  async function none(name: string, ms = 50): Promise<boolean> {
    try {
      await next(name, ms);
      return false;
    } catch {
      return true;
    }
  }
  return { next, none, close: () => reader.cancel() };
}
