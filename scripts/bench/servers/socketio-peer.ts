/**
 * The peer: the minimal Socket.IO server a user would write instead of Parley. Every client joins one room;
 * POST /post { text } broadcasts an event shaped like Parley's RoomEvent to it (websocket transport, default options)
 * and answers 201 after the broadcast, as Parley answers after its fan-out.
 */
import http from 'node:http';
import { Server } from 'socket.io';
import { roomEventLike } from '../lib/common.js';

const port = Number(process.env.PORT);
const ROOM_ID = 'UGVlclJvb21JZDAw';
let seq = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (req.method === 'POST' && req.url === '/post') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let text = '';
      try {
        text = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).text);
      } catch {
        res.writeHead(400).end();
        return;
      }
      const event = roomEventLike(ROOM_ID, ++seq, text);
      io.to('room').emit('message.created', event);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ seq }));
    });
    return;
  }
  // socket.io answers its own paths; anything else is 404.
  if (!req.url?.startsWith('/socket.io/')) res.writeHead(404).end();
});

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
