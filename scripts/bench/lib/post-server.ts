import http from 'node:http';

/**
 * The HTTP side the comparison servers share with the bench's poster: GET /health, and POST /post { text } which
 * hands the text to `broadcast` (which fans it out and returns its seq) and answers 201 { seq } afterwards, as Parley
 * answers after its fan-out. Other paths get 404 unless `passThrough` claims them (socket.io serves its own).
 */
export function createPostServer(
  broadcast: (text: string) => number,
  passThrough: (url: string) => boolean = () => false,
): http.Server {
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.method === 'POST' && req.url === '/post') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let text: string;
        try {
          text = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).text);
        } catch {
          res.writeHead(400).end();
          return;
        }
        const seq = broadcast(text);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ seq }));
      });
      return;
    }
    if (!passThrough(req.url ?? '')) res.writeHead(404).end();
  });
}
