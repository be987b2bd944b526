/** CborPoster: POSTs over kept-alive HTTP/1.1 connections, against a real node:http server. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CborPoster } from './http-post';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

let server: Server;
let handler: Handler;
let sockets: Set<Socket>;
let poster: CborPoster;
let url: URL;

beforeEach(async () => {
  sockets = new Set();
  handler = (_req, body, res) => res.end(body);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  poster = new CborPoster(url);
});

afterEach(async () => {
  poster.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('CborPoster', () => {
  describe('#post', () => {
    it('posts the body as application/cbor and reads a Content-Length response', async () => {
      handler = (req, body, res) => {
        res.writeHead(201, { 'content-type': 'application/cbor', 'x-echo-type': req.headers['content-type'] ?? '' });
        res.end(Buffer.concat([Buffer.from(req.url ?? ''), body]));
      };
      const response = await poster.post('/api/v2/canister/x/query', Uint8Array.of(1, 2, 3));
      expect(response.status).toBe(201);
      expect(response.body).toEqual(Buffer.concat([Buffer.from('/api/v2/canister/x/query'), Buffer.of(1, 2, 3)]));
      expect(response.errorCode).toBeUndefined();
    });

    it('reads a chunked response and the error code header', async () => {
      handler = (_req, _body, res) => {
        res.writeHead(503, { 'x-icws-error-code': 'ICWS_ERR_REPLICA_OVERLOADED' });
        res.write('over');
        setTimeout(() => res.end('loaded'), 5);
      };
      const response = await poster.post('/', new Uint8Array());
      expect(response).toEqual({ status: 503, body: Buffer.from('overloaded'), errorCode: 'ICWS_ERR_REPLICA_OVERLOADED' });
    });

    it('reads a response ended by closing the connection, and does not reuse that connection', async () => {
      handler = (req, _body, res) => {
        const socket = req.socket;
        socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end');
        socket.end();
        res.detachSocket(socket);
      };
      const first = await poster.post('/', new Uint8Array());
      expect(first).toMatchObject({ status: 200, body: Buffer.from('until the end') });
      handler = (_req, body, res) => res.end(body);
      await expect(poster.post('/', Uint8Array.of(9))).resolves.toMatchObject({ status: 200, body: Buffer.of(9) });
      expect(sockets.size).toBe(2);
    });

    it('sends requests one after the other over one kept-alive connection', async () => {
      for (let i = 0; i < 20; i++) await expect(poster.post('/', Uint8Array.of(i))).resolves.toMatchObject({ body: Buffer.of(i) });
      expect(sockets.size).toBe(1);
      expect(poster.connections).toBe(1);
    });

    it('opens a connection per request in flight at once, and reuses them afterwards', async () => {
      const bodies = await Promise.all(Array.from({ length: 8 }, (_, i) => poster.post('/', Uint8Array.of(i))));
      expect(bodies.map((r) => r.body[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      await Promise.all(Array.from({ length: 8 }, (_, i) => poster.post('/', Uint8Array.of(i))));
      expect(sockets.size).toBe(8);
    });

    it('sends a request again on a new connection when the server closed the kept-alive one', async () => {
      await poster.post('/', Uint8Array.of(1));
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(poster.post('/', Uint8Array.of(2))).resolves.toMatchObject({ status: 200, body: Buffer.of(2) });
    });

    it('fails when the server answers with more than 8 MiB', async () => {
      handler = (_req, _body, res) => res.end(Buffer.alloc(8 * 1024 * 1024 + 1));
      await expect(poster.post('/', new Uint8Array())).rejects.toThrow('exceeds 8388608 bytes');
    });

    it('fails when the connection is refused, with the reason', async () => {
      const nowhere = new CborPoster(new URL('http://127.0.0.1:1'));
      await expect(nowhere.post('/', new Uint8Array())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      nowhere.close();
    });

    it('fails a request with no response within the request timeout, closing its connection', async () => {
      handler = () => undefined;
      const impatient = new CborPoster(url, { requestTimeoutMs: 50 });
      await expect(impatient.post('/', new Uint8Array())).rejects.toThrow('no response from');
      expect(impatient.connections).toBe(0);
      impatient.close();
    });

    it('does not send a request that timed out on a kept-alive connection again', async () => {
      const impatient = new CborPoster(url, { requestTimeoutMs: 50 });
      await impatient.post('/', Uint8Array.of(1));
      let received = 0;
      handler = () => void received++;
      await expect(impatient.post('/', Uint8Array.of(2))).rejects.toThrow('no response from');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(received).toBe(1);
      expect(sockets.size).toBe(1);
      impatient.close();
    });
  });

  describe('#close', () => {
    it('fails the requests under way and any asked afterwards', async () => {
      handler = () => undefined;
      const waiting = poster.post('/', new Uint8Array());
      await new Promise((resolve) => setTimeout(resolve, 20));
      poster.close();
      await expect(waiting).rejects.toThrow('were closed');
      await expect(poster.post('/', new Uint8Array())).rejects.toThrow('are closed');
    });
  });

  it('closes a connection left idle for the idle timeout', async () => {
    const brief = new CborPoster(url, { idleTimeoutMs: 30 });
    await brief.post('/', new Uint8Array());
    expect(brief.connections).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(brief.connections).toBe(0);
    brief.close();
  });
});
