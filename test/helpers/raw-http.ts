import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** body parsed as JSON, or undefined */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
  json: any;
}

/** Splits the bytes a server wrote into HTTP/1.1 responses (Content-Length framed, as every Parley answer is). */
export function parseResponses(bytes: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    rest = rest.slice(end + 4);
    // Interim answers (100 Continue) have no body.
    const length = status < 200 ? 0 : Number(headers['content-length'] ?? rest.length);
    const body = rest.slice(0, length);
    rest = rest.slice(length);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see RawResponse.json
    let json: any;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    out.push({ status, headers, body, json });
  }
  return out;
}

/** A raw TCP connection that collects everything the server writes. */
export class RawConnection {
  readonly socket: net.Socket;
  data = '';
  closed = false;
  readonly connected: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.connected.catch(() => {});
    this.socket.on('data', (d: string) => {
      this.data += d;
      this.notify();
    });
    const close = () => {
      this.closed = true;
      this.notify();
    };
    this.socket.on('close', close);
    this.socket.on('error', close);
  }

  write(data: string): void {
    this.socket.write(data, 'latin1');
  }

  get responses(): RawResponse[] {
    return parseResponses(this.data);
  }

  /** Resolves when `done()` holds; rejects after `ms` (a liveness bound, not a timing assertion). */
  async until(done: () => boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; got ${JSON.stringify(this.data)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  untilClosed(ms?: number): Promise<void> {
    return this.until(() => this.closed, 'connection close', ms);
  }

  close(): void {
    this.socket.destroy();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Sends bytes on a fresh connection and returns everything written back until the server closes it. */
export async function rawExchange(port: number, data: string, ms = 20_000): Promise<RawResponse[]> {
  const conn = new RawConnection(port);
  await conn.connected;
  conn.write(data);
  await conn.untilClosed(ms);
  return conn.responses;
}
