/**
 * The ceiling: the same fan-out bytes written by a bare Node loop to raw TCP sockets. Subscribers connect to SUB_PORT
 * and get "ok\n"; POST /post { text } on PORT builds one SSE frame shaped like Parley's and writes that one buffer to
 * every socket in a plain for-of loop. No HTTP framing on the streams, no auth, no store, no per-subscriber state.
 */
import http from 'node:http';
import net from 'node:net';
import { roomEventLike } from '../lib/common.js';

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
      seq++;
      const frame = Buffer.from(`id: ${seq}\nevent: message.created\ndata: ${JSON.stringify(roomEventLike(ROOM_ID, seq, text))}\n\n`);
      for (const s of sockets) s.write(frame);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ seq }));
    });
    return;
  }
  res.writeHead(404).end();
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
