/**
 * The ceiling: the same fan-out bytes written by a bare Node loop to raw TCP sockets. Subscribers connect to SUB_PORT
 * and get "ok\n"; POST /post { text } on PORT builds one SSE frame shaped like Parley's and writes that one buffer to
 * every socket in a plain for-of loop. No HTTP framing on the streams, no auth, no store, no per-subscriber state.
 */
import net from 'node:net';
import { roomEventLike } from '../lib/common.js';
import { createPostServer } from '../lib/post-server.js';

const port = Number(process.env.PORT);
const subPort = Number(process.env.SUB_PORT);
const ROOM_ID = 'UmF3TGltaXRSb29t';
const sockets = new Set<net.Socket>();
let seq = 0;

const subs = net.createServer((socket) => {
  socket.setNoDelay(true);
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  socket.write('ok\n');
});
subs.listen(subPort, '127.0.0.1', 2048);

const server = createPostServer((text) => {
  seq++;
  const frame = Buffer.from(
    `id: ${seq}\nevent: message.created\ndata: ${JSON.stringify(roomEventLike(ROOM_ID, seq, text))}\n\n`,
  );
  for (const s of sockets) s.write(frame);
  return seq;
});
server.listen(port, '127.0.0.1');

const stop = () => {
  for (const s of sockets) s.destroy();
  subs.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
