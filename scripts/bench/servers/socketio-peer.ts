/**
 * The peer: the minimal Socket.IO server a user would write instead of Parley. Every client joins one room;
 * POST /post { text } broadcasts an event shaped like Parley's RoomEvent to it (websocket transport, default options)
 * and answers 201 after the broadcast, as Parley answers after its fan-out.
 */
import { Server } from 'socket.io';
import { roomEventLike } from '../lib/common.js';
import { createPostServer } from '../lib/post-server.js';

const port = Number(process.env.PORT);
const ROOM_ID = 'UGVlclJvb21JZDAw';
let seq = 0;

// socket.io answers its own paths on the same server.
const server = createPostServer(
  (text) => {
    const event = roomEventLike(ROOM_ID, ++seq, text);
    io.to('room').emit('message.created', event);
    return seq;
  },
  (url) => url.startsWith('/socket.io/'),
);

const io = new Server(server, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  void socket.join('room');
});

server.listen(port, '127.0.0.1');
const stop = () => {
  io.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
