// A lean HTTP/1.1 load generator for the replica benchmark. Requests are serialised (request line,
// headers and body in one buffer) before the clock starts, and each keep-alive connection sends
// its next request as soon as the previous response has arrived, as a keep-alive agent would.
// It parses only what it needs (status and Content-Length), so on a 2-core machine most of the CPU
// is left to the replica being measured, unlike node:http's client.
const net = require('node:net');

/** @returns a serialised POST of `body` to `path` on `host`. */
function postRequest(host, path, body) {
  const head = Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/cbor\r\nContent-Length: ${body.length}\r\n\r\n`,
    'latin1',
  );
  return Buffer.concat([head, body]);
}

/** A keep-alive connection that sends one request at a time. */
class Connection {
  #socket;
  #buffered = Buffer.alloc(0);
  #pending;
  closed = false;

  /** @returns a connected Connection. */
  static open(url) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => {
      this.closed = true;
      this.#fail(new Error('connection closed by the replica'));
    });
  }

  /** Sends a serialised request; resolves with the response's status code. */
  send(request) {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed by the replica'));
      this.#pending = { resolve, reject };
      this.#socket.write(request);
    });
  }

  close() {
    this.#socket.removeAllListeners('close');
    this.#socket.destroy();
  }

  #onData(chunk) {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const headEnd = this.#buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.#buffered.toString('latin1', 0, headEnd);
    const match = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (match === null) return this.#fail(new Error(`response without Content-Length: ${head.split('\r\n')[0]}`));
    const end = headEnd + 4 + Number(match[1]);
    if (this.#buffered.length < end) return;
    const status = Number(head.slice(9, 12));
    this.#buffered = this.#buffered.subarray(end);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve(status);
  }

  #fail(err) {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(err);
  }
}

/** A set of keep-alive connections to one server. */
class ConnectionPool {
  #url;
  #idle = [];

  constructor(url) {
    this.#url = url;
  }

  /** @returns `count` open connections, reusing idle ones. */
  async take(count) {
    // The server closes connections left idle for its keep-alive timeout.
    this.#idle = this.#idle.filter((connection) => !connection.closed);
    const taken = this.#idle.splice(0, count);
    while (taken.length < count) taken.push(await Connection.open(this.#url));
    return taken;
  }

  release(connections) {
    this.#idle.push(...connections);
  }

  close() {
    for (const connection of this.#idle.splice(0)) connection.close();
  }
}

/**
 * Sends every request over `concurrency` connections, each waiting for its answer before sending the
 * next. Every answer must be 200.
 * @returns { seconds, latencies (ms, in completion order) }
 */
async function runLoad(pool, requests, concurrency) {
  const connections = await pool.take(Math.min(concurrency, requests.length));
  const latencies = new Float64Array(requests.length);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    connections.map(async (connection) => {
      while (next < requests.length) {
        const index = next++;
        const t0 = process.hrtime.bigint();
        const status = await connection.send(requests[index]);
        if (status !== 200) throw new Error(`request ${index} answered ${status}`);
        latencies[index] = Number(process.hrtime.bigint() - t0) / 1e6;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  pool.release(connections);
  return { seconds, latencies };
}

module.exports = { ConnectionPool, postRequest, runLoad };
