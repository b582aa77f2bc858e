import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/** How long an admitted connection may take to send its first request before its place goes to the next one. */
const FIRST_REQUEST_MS = 50;
/** How long a late connection may read on without a request before it is paused and queued again. */
export const LATE_PLACE_MS = 1000;

/**
 * Lets new connections start reading a few at a time: at most `slots` newly accepted sockets may be waiting for their
 * first request; the rest stay paused, in arrival order, until one of those has sent its request (or closed, or
 * taken FIRST_REQUEST_MS: then it reads on among at most `slots` late ones, or waits its turn once more).
 *
 * Node accepts one connection per event-loop iteration, but a storm's clients send their requests whenever their own
 * loops get to it, so the requests of hundreds of connections accepted over many short iterations arrive together and
 * were parsed and routed in one poll (over 300 ms, measured, when 10,000 clients came back at once after a restart).
 * Meanwhile nothing was accepted, the listen queue overflowed (clients turned away wait for TCP's retries, 1, 3, 7 s)
 * and every other request waited. With the gate an iteration parses at most `slots` new requests. A paused socket
 * costs nothing to hold, and sockets already open (keep-alive connections posting messages) are never held.
 */
export function gateConnections(server: Server, slots: number): void {
  const waiting: Socket[] = [];
  let head = 0;
  let scheduled = false;
  /** Admitted sockets still waiting for their first request (at most `slots`), and the timers giving up their place. */
  const admitted = new Map<Socket, NodeJS.Timeout>();

  /**
   * Sockets whose place ran out before their request came, still reading (at most `slots`), and the timers ending
   * that. A storm's clients connect faster than they write their requests; when every such socket stayed reading,
   * hundreds were, and their requests all came in one poll once the clients caught up (177 requests in one 75 ms
   * turn, measured in a 10,000-member storm). Past this allowance a late socket is paused and queued again, so its
   * request waits in the kernel for its turn; so is one that holds a late place for LATE_PLACE_MS (a connection that
   * never sends, such as a browser's speculative preconnect, would otherwise keep it until it closes). A socket's
   * second timeout frees it for good: one that never sends is left to the server's own timeouts.
   */
  const late = new Map<Socket, NodeJS.Timeout>();
  const requeued = new WeakSet<Socket>();
  const requeue = (socket: Socket) => {
    requeued.add(socket);
    socket.pause();
    waiting.push(socket);
  };
  const timedOut = (socket: Socket) => {
    if (!admitted.delete(socket)) return;
    const firstTime = !socket.destroyed && !requeued.has(socket);
    // A late reader keeps its close listener: closing frees its place among the late ones.
    if (firstTime && late.size < slots) late.set(socket, setTimeout(lateTimedOut, LATE_PLACE_MS, socket));
    else {
      socket.off('close', onAdmittedClose);
      if (firstTime) requeue(socket);
    }
    schedule();
  };
  const lateTimedOut = (socket: Socket) => {
    if (!late.delete(socket)) return;
    socket.off('close', onAdmittedClose);
    if (!socket.destroyed) requeue(socket);
    schedule();
  };
  const release = (socket: Socket) => {
    const timer = admitted.get(socket) ?? late.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    if (!admitted.delete(socket)) late.delete(socket);
    // Not held for the connection's life: an SSE stream lasts hours, and a storm's worth of listeners (a closure
    // each) would be copied by every young-generation collection meanwhile.
    socket.off('close', onAdmittedClose);
    schedule();
  };
  function onAdmittedClose(this: Socket) {
    release(this);
  }
  // Once per loop iteration: what is let in here is read in the next poll, at most `slots` requests.
  const admit = () => {
    scheduled = false;
    while (admitted.size < slots && head < waiting.length) {
      const socket = waiting[head++]!;
      if (socket.destroyed) continue;
      admitted.set(
        socket,
        setTimeout(() => timedOut(socket), FIRST_REQUEST_MS),
      );
      socket.on('close', onAdmittedClose);
      socket.resume();
    }
    if (head === waiting.length) {
      waiting.length = 0;
      head = 0;
    }
  };
  function schedule() {
    if (scheduled || head === waiting.length) return;
    scheduled = true;
    setImmediate(admit);
  }

  // net.Server reads this on every accept: the new socket starts paused (no read from the kernel until resume()).
  (server as Server & { pauseOnConnect: boolean }).pauseOnConnect = true;
  server.on('connection', (socket: Socket) => {
    // One that closes while waiting is skipped when its turn comes.
    waiting.push(socket);
    schedule();
  });
  server.on('request', (request: IncomingMessage) => release(request.socket));
}
