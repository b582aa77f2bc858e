import http from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  /**
   * data parsed as JSON when it is JSON. One of several shapes (a room event, presence, typing, a receipt, a notice),
   * so tests read the fields they expect of the event they picked.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  json: any;
}

const EPHEMERAL = new Set(['presence', 'typing', 'receipt', 'membership']);

export interface SseStreamOptions {
  token?: string;
  cookie?: string;
  lastEventId?: string;
  headers?: Record<string, string>;
}

/**
 * A minimal SSE client over a real socket (no EventSource polyfill), so tests see exactly the bytes the server
 * writes: frames, ids, comments, retry lines.
 */
export class SseStream {
  /** Stored events and stream notices (reset, expired), in arrival order. */
  readonly events: SseEvent[] = [];
  /** Presence, typing and receipt events (id-less, unstored), kept apart so tests of the log read only the log. */
  readonly ephemeral: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  /** The last `id:` the stream sent (with an event or alone), as EventSource keeps it for its reconnect. */
  private lastEventId: string | undefined;
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  body = '';
  ended = false;
  readonly done: Promise<void>;
  readonly opened: Promise<void>;
  private req: http.ClientRequest;
  private buffer = '';
  private waiters: Array<() => void> = [];

  constructor(url: string, opts: SseStreamOptions = {}) {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
    let resolveOpened!: () => void;
    let rejectOpened!: (err: Error) => void;
    this.opened = new Promise((res, rej) => ((resolveOpened = res), (rejectOpened = rej)));
    let resolveDone!: () => void;
    this.done = new Promise((res) => (resolveDone = res));
    const finish = () => {
      this.ended = true;
      resolveDone();
      this.notify();
    };
    this.req = http.get(url, { headers, agent: false }, (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (this.status !== 200) {
          this.body += chunk;
          return;
        }
        this.buffer += chunk;
        this.parse();
      });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      resolveOpened();
    });
    this.req.on('error', (err) => {
      rejectOpened(err);
      finish();
    });
    this.opened.catch(() => {});
  }

  private parse(): void {
    let idx: number;
    while ((idx = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1));
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'retry') this.retry = Number(value);
        else if (field === 'id') {
          id = value;
          this.lastEventId = value;
        } else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        if (field === 'id' || field === 'event' || field === 'data') isEvent = true;
      }
      // A block without data dispatches no event (an `id:` alone only moves the last event id).
      if (!isEvent || data.length === 0) continue;
      const text = data.join('\n');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const parsed = { id, event, data: text, json };
      if (id === undefined && EPHEMERAL.has(event)) this.ephemeral.push(parsed);
      else this.events.push(parsed);
    }
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when `predicate` holds for the events so far; rejects after `timeoutMs`. */
  /** Waits until the ephemeral events satisfy `predicate`. */
  async waitForEphemeral(
    predicate: (events: SseEvent[]) => boolean,
    timeoutMs = 10_000,
    what = 'ephemeral events',
  ): Promise<SseEvent[]> {
    await this.waitFor(() => predicate(this.ephemeral), timeoutMs, what);
    return this.ephemeral;
  }

  async waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs = 10_000, what = 'events'): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (this.ended && !predicate(this.events))
        throw new Error(`stream ended before ${what} (have ${this.events.length})`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what} (have ${this.events.length}: ${this.events.map((e) => e.id ?? e.event).join(' ')})`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.events;
  }

  /** Stored events only (those with an id). */
  stored(): SseEvent[] {
    return this.events.filter((e) => e.id !== undefined && e.event !== 'reset');
  }

  /** The last id the stream sent, what a reconnecting client sends as Last-Event-ID. */
  lastId(): string | undefined {
    return this.lastEventId;
  }

  close(): void {
    this.req.destroy();
  }
}
