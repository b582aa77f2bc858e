/** What the load generators, the peer servers and the orchestrator agree on. */

/**
 * Message text carries `bench:<run>:<post time in ms>`; subscribers find the marker in the raw bytes (it reaches them
 * verbatim inside SSE data JSON or a Socket.IO frame), so they never parse frames or JSON.
 */
export const MARKER = 'bench:';

export function benchText(run: number, padTo = 0): string {
  const base = `${MARKER}${run}:${now().toFixed(3)}`;
  return padTo > base.length ? base + ' ' + 'x'.repeat(padTo - base.length - 1) : base;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * An event shaped like Parley's RoomEvent for a posted message (same fields, same id lengths), so the peer and the
 * raw-socket ceiling carry as many bytes per delivery as Parley does.
 */
export function roomEventLike(roomId: string, seq: number, text: string): object {
  const at = new Date().toISOString();
  const author = {
    id: 'Qm9vdHN0cmFwVXNl',
    username: 'bench_poster',
    displayName: 'bench_poster',
    gender: 'unspecified',
    avatar: null,
  };
  return {
    roomId,
    seq,
    type: 'message.created',
    actor: author,
    at,
    payload: {
      message: { roomId, seq, author, text, attachments: [], createdAt: at, editedAt: null, deletedAt: null },
    },
  };
}

/** Worker (load process) <-> orchestrator messages. */
export type Mode = 'sse' | 'eio' | 'raw';

export interface ConnectCommand {
  cmd: 'connect';
  mode: Mode;
  port: number;
  /** For SSE: the request path; for Socket.IO the engine.io path is fixed. */
  path: string;
  /** Bearer tokens, used round-robin (SSE only). */
  tokens: string[];
  /** Extra request headers (SSE only), e.g. Last-Event-ID. */
  headers?: Record<string, string>;
  /**
   * Distinct members: each token is held by at most one live connection of the worker (a reconnect reuses the token
   * of the connection it replaces), instead of the tokens being used round-robin.
   */
  distinct?: boolean;
  /** Source address of the connections (one per worker spreads the ephemeral ports of 10,000+ connections). */
  localAddress?: string;
  /** SSE only: follow each stream's ids (position, gaps, duplicates) and when it went live (lib/tracking.ts). */
  track?: boolean;
  /** Total live connections this worker should hold after the command. */
  target: number;
  concurrency: number;
  timeoutMs: number;
}

export type WorkerCommand =
  | ConnectCommand
  | { cmd: 'window'; run: number }
  | { cmd: 'count' }
  | { cmd: 'report' }
  | { cmd: 'track-count'; atLeast: number }
  | { cmd: 'track-report' }
  | { cmd: 'close' };

export type WorkerMessage =
  | { ev: 'ready' }
  | { ev: 'connected'; live: number; opened: number; failed: number; ms: number; errors: string[] }
  | { ev: 'count'; count: number; live: number }
  | {
      ev: 'report';
      live: number;
      dropped: number;
      count: number;
      bytes: number;
      hist: import('./histogram.js').SparseHistogram;
      firstAt: number;
      lastAt: number;
    }
  | { ev: 'track-count'; live: number; caughtUp: number; streams: number }
  | { ev: 'track-report'; streams: import('./tracking.js').StreamTrack[] }
  | { ev: 'closed' };
