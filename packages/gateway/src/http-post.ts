import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** A response read whole. */
export interface PostResponse {
  readonly status: number;
  readonly body: Buffer;
  /** The `x-icws-error-code` header of a refusal by an icws replica, if any. */
  readonly errorCode?: string;
}

/** Options of {@link CborPoster}. */
export interface CborPosterOptions {
  /** A kept-alive connection unused this long is closed, before the server closes it under a request. @default 4000 */
  readonly idleTimeoutMs?: number;
  /** A request without its whole response after this long fails and its connection is closed. @default 60000 */
  readonly requestTimeoutMs?: number;
}

/** Largest response body read; a replica's answer to a call is a few kilobytes, a poll's at most 3 MiB. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** Largest response head (status line and headers) read. */
const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
/** The response headers the poster reads (lower case). */
const HEADERS_READ = new Set(['content-length', 'transfer-encoding', 'connection', 'x-icws-error-code']);
const HEADER_NAME_LENGTHS = new Set([...HEADERS_READ].map((name) => name.length));
/** Longest time between two checks of the connections' deadlines. */
const MAX_SWEEP_INTERVAL_MS = 500;
const CRLF = Buffer.from('\r\n');

/**
 * POSTs CBOR bodies over kept-alive HTTP/1.1 connections, one request at a time per connection.
 * The gateway relays every client frame and polls every canister this way, ten times a second:
 * writing the request in one buffer and reading only the status, the body and the headers it needs
 * costs a fraction of node:http's per-request machinery. Responses with a Content-Length, chunked
 * ones and ones ended by closing the connection are read; a request that meets a kept-alive
 * connection the server had just closed is sent again once on a new one. The request and idle
 * timeouts are deadlines one timer checks a few times per timeout while connections are open
 * (so they end up to a quarter of the shorter timeout late), rather than two timers set and
 * cleared per request.
 */
export class CborPoster {
  readonly #idle: Connection[] = [];
  readonly #open = new Set<Connection>();
  readonly #head: string;
  readonly #idleTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #sweepEveryMs: number;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    readonly origin: URL,
    options: CborPosterOptions = {},
  ) {
    this.#head = `Host: ${origin.host}\r\nContent-Type: application/cbor\r\nContent-Length: `;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 4_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#sweepEveryMs = Math.max(1, Math.min(MAX_SWEEP_INTERVAL_MS, Math.floor(Math.min(this.#idleTimeoutMs, this.#requestTimeoutMs) / 4)));
  }

  /** Connections open now, idle or busy; for tests and metrics. */
  get connections(): number {
    return this.#open.size;
  }

  /**
   * @returns the status and body of the response
   * @throws Error when the connection fails, the response is malformed or larger than 8 MiB, or
   *   none arrives within the request timeout
   */
  post(path: string, body: Uint8Array): Promise<PostResponse> {
    return this.send(this.#request(path, body, Buffer.allocUnsafe));
  }

  /** @returns the bytes of a POST of `body` to `path` (in a buffer of their own), to {@link send} once or more */
  prepare(path: string, body: Uint8Array): Buffer {
    return this.#request(path, body, Buffer.allocUnsafeSlow);
  }

  /**
   * Sends a request {@link prepare} made (the same bytes may be sent again, e.g. a poll that
   * repeats). @returns and @throws as {@link post}
   */
  send(request: Buffer): Promise<PostResponse> {
    if (this.#closed) return Promise.reject(new Error(`the connections to ${this.origin.origin} are closed`));
    return this.#send(request, true);
  }

  /** Closes every connection; requests under way fail. */
  close(): void {
    this.#closed = true;
    for (const connection of [...this.#open]) connection.destroy(new Error(`the connections to ${this.origin.origin} were closed`));
    this.#idle.length = 0;
    this.#stopSweeping();
  }

  #request(path: string, body: Uint8Array, allocate: (size: number) => Buffer): Buffer {
    const head = `POST ${path} HTTP/1.1\r\n${this.#head}${body.length}\r\n\r\n`;
    const request = allocate(Buffer.byteLength(head, 'latin1') + body.length);
    const at = request.write(head, 0, 'latin1');
    request.set(body, at);
    return request;
  }

  #send(request: Buffer, mayRetry: boolean): Promise<PostResponse> {
    const reused = this.#idle.pop();
    const connection = reused ?? this.#connect();
    return connection.request(request).then(
      (response) => {
        if (response.keepAlive && !this.#closed) this.#release(connection);
        else connection.destroy();
        return response.response;
      },
      (err: unknown) => {
        // A kept-alive connection the server closed as the request went out: nothing was read, so
        // nothing was done twice by sending it again.
        if (reused !== undefined && mayRetry && !this.#closed && err instanceof StaleConnectionError) return this.#send(request, false);
        throw err instanceof StaleConnectionError ? err.cause : err;
      },
    );
  }

  #connect(): Connection {
    const { hostname, port, protocol } = this.origin;
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    const socket = protocol === 'https:'
      ? tlsConnect({ host, port: Number(port || 443), servername: isIP(host) === 0 ? host : undefined, ALPNProtocols: ['http/1.1'] })
      : netConnect({ host, port: Number(port || 80) });
    socket.setNoDelay(true);
    const connection = new Connection(socket, this.origin, () => this.#forget(connection));
    this.#open.add(connection);
    this.#sweeper ??= setInterval(() => this.#sweep(), this.#sweepEveryMs).unref();
    return connection;
  }

  #release(connection: Connection): void {
    this.#idle.push(connection);
    connection.idleSince(Date.now());
  }

  #forget(connection: Connection): void {
    this.#open.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at !== -1) this.#idle.splice(at, 1);
    if (this.#open.size === 0) this.#stopSweeping();
  }

  /** Fails the requests past the request timeout, closes the connections idle past the idle timeout. */
  #sweep(): void {
    const now = Date.now();
    for (const connection of [...this.#open]) connection.expire(now, this.#requestTimeoutMs, this.#idleTimeoutMs);
  }

  #stopSweeping(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

/** A kept-alive connection that failed before any byte of the response: the request may be sent again. */
class StaleConnectionError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

interface Pending {
  resolve(result: { response: PostResponse; keepAlive: boolean }): void;
  reject(err: Error): void;
  /** When the request was sent, ms since the epoch. */
  readonly sentAtMs: number;
}

/** One connection and the reading of one response at a time. */
class Connection {
  #pending: Pending | undefined;
  /** When the connection was last released, ms since the epoch; undefined while in use. */
  #idleSinceMs: number | undefined;
  readonly #parser = new ResponseParser();
  #used = false;
  #destroyed = false;

  constructor(
    private readonly socket: Socket,
    private readonly origin: URL,
    private readonly onGone: () => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy(new Error(`the connection to ${origin.origin} closed before the response ended`)));
    socket.on('end', () => this.#onEnd());
  }

  request(bytes: Buffer): Promise<{ response: PostResponse; keepAlive: boolean }> {
    this.#idleSinceMs = undefined;
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject, sentAtMs: Date.now() };
      this.#parser.reset();
      this.socket.write(bytes);
    });
  }

  /** Marks the connection unused from `nowMs` on. */
  idleSince(nowMs: number): void {
    this.#used = true;
    this.#idleSinceMs = nowMs;
  }

  /** Fails the request under way once `requestTimeoutMs` old; closes the connection once unused for `idleTimeoutMs`. */
  expire(nowMs: number, requestTimeoutMs: number, idleTimeoutMs: number): void {
    if (this.#pending !== undefined && nowMs - this.#pending.sentAtMs >= requestTimeoutMs) {
      // Not a stale connection: the server may be working on the request, so it is not sent again.
      this.destroy(new Error(`no response from ${this.origin.origin} within ${requestTimeoutMs} ms`), false);
    } else if (this.#idleSinceMs !== undefined && nowMs - this.#idleSinceMs >= idleTimeoutMs) {
      this.destroy();
    }
  }

  /** @param mayBeStale - whether a failure before any byte of the response may be a kept-alive connection the server had closed */
  destroy(err?: Error, mayBeStale = true): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.socket.destroy();
    this.onGone();
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined) return;
    const failure = err ?? new Error(`the connection to ${this.origin.origin} was closed`);
    pending.reject(mayBeStale && this.#used && !this.#parser.started ? new StaleConnectionError(failure) : failure);
  }

  #onData(chunk: Buffer): void {
    if (this.#pending === undefined) return this.destroy(new Error(`${this.origin.origin} sent data without a request`));
    let done: { response: PostResponse; keepAlive: boolean } | undefined;
    try {
      done = this.#parser.push(chunk);
    } catch (err) {
      return this.destroy(err as Error);
    }
    if (done !== undefined) this.#settle(done);
  }

  /** The server ended its side: the end of a response read until the connection closes. */
  #onEnd(): void {
    const done = this.#pending === undefined ? undefined : this.#parser.end();
    if (done !== undefined) this.#settle(done);
    else this.destroy();
  }

  #settle(done: { response: PostResponse; keepAlive: boolean }): void {
    const pending = this.#pending!;
    this.#pending = undefined;
    pending.resolve(done);
  }
}

/**
 * Reads one HTTP/1.1 response: status line and headers, then a body by Content-Length, in chunks,
 * or until the connection ends. Interim (1xx) responses are skipped.
 */
class ResponseParser {
  #buffer: Buffer = Buffer.alloc(0);
  #status = 0;
  #headers: Record<string, string> = {};
  /** Bytes of body still expected (Content-Length), or -1 for chunked, -2 for until the end. */
  #remaining = -3;
  #chunks: Buffer[] = [];
  #bodyBytes = 0;
  started = false;

  reset(): void {
    this.#buffer = Buffer.alloc(0);
    this.#remaining = -3;
    this.#chunks = [];
    this.#bodyBytes = 0;
    this.started = false;
  }

  /** @returns the response once complete, else undefined @throws Error when it is malformed or too large */
  push(chunk: Buffer): { response: PostResponse; keepAlive: boolean } | undefined {
    this.started = true;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#remaining === -3 && !this.#readHead()) return undefined;
      const done = this.#readBody();
      if (done !== 'interim') return done;
    }
  }

  /** @returns the response when the connection's end completes it */
  end(): { response: PostResponse; keepAlive: boolean } | undefined {
    if (this.#remaining !== -2) return undefined;
    this.#take(this.#buffer);
    return this.#response(false);
  }

  /** @returns whether the head is complete */
  #readHead(): boolean {
    const end = this.#buffer.indexOf(HEAD_END);
    if (end === -1) {
      if (this.#buffer.length > MAX_HEAD_BYTES) throw new Error(`a response head longer than ${MAX_HEAD_BYTES} bytes`);
      return false;
    }
    const head = this.#buffer.toString('latin1', 0, end);
    this.#buffer = this.#buffer.subarray(end + HEAD_END.length);
    let lineEnd = head.indexOf('\r\n');
    const statusLine = lineEnd === -1 ? head : head.slice(0, lineEnd);
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (match === null) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(statusLine.slice(0, 60))}`);
    this.#status = Number(match[1]);
    this.#headers = {};
    // Only the few headers read are kept; the others are skipped without making strings of them.
    while (lineEnd !== -1) {
      const start = lineEnd + 2;
      lineEnd = head.indexOf('\r\n', start);
      const stop = lineEnd === -1 ? head.length : lineEnd;
      const colon = head.indexOf(':', start);
      if (colon <= start || colon > stop || !HEADER_NAME_LENGTHS.has(colon - start)) continue;
      const name = head.slice(start, colon).toLowerCase();
      if (HEADERS_READ.has(name)) this.#headers[name] = head.slice(colon + 1, stop).trim();
    }
    const length = this.#headers['content-length'];
    if (this.#status < 200 || this.#status === 204 || this.#status === 304) this.#remaining = 0;
    else if (/chunked/i.test(this.#headers['transfer-encoding'] ?? '')) this.#remaining = -1;
    else if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw new Error(`a response with Content-Length ${JSON.stringify(length)}`);
      this.#remaining = Number(length);
      if (this.#remaining > MAX_RESPONSE_BYTES) throw tooLarge();
    } else this.#remaining = -2;
    return true;
  }

  #readBody(): { response: PostResponse; keepAlive: boolean } | undefined | 'interim' {
    if (this.#remaining === -2) {
      this.#take(this.#buffer);
      this.#buffer = Buffer.alloc(0);
      return undefined;
    }
    if (this.#remaining >= 0) {
      if (this.#buffer.length < this.#remaining) return undefined;
      this.#take(this.#buffer.subarray(0, this.#remaining));
      this.#buffer = this.#buffer.subarray(this.#remaining);
    } else if (!this.#readChunks()) {
      return undefined;
    }
    if (this.#status < 200) {
      // An interim response: the real one follows.
      this.#remaining = -3;
      this.#chunks = [];
      this.#bodyBytes = 0;
      return 'interim';
    }
    return this.#response(!/close/i.test(this.#headers.connection ?? ''));
  }

  /** @returns whether the last chunk (and the trailers) have been read */
  #readChunks(): boolean {
    for (;;) {
      const lineEnd = this.#buffer.indexOf(CRLF);
      if (lineEnd === -1) return false;
      const size = parseInt(this.#buffer.toString('latin1', 0, lineEnd).split(';')[0], 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new Error('a response with a malformed chunk size');
      if (size === 0) {
        const trailersEnd = this.#buffer.indexOf(CRLF, lineEnd + 2);
        if (trailersEnd === -1) return false;
        // Trailers, if any, end with an empty line.
        if (trailersEnd !== lineEnd + 2) {
          const end = this.#buffer.indexOf(HEAD_END, lineEnd);
          if (end === -1) return false;
          this.#buffer = this.#buffer.subarray(end + HEAD_END.length);
        } else {
          this.#buffer = this.#buffer.subarray(trailersEnd + CRLF.length);
        }
        return true;
      }
      const start = lineEnd + CRLF.length;
      if (this.#buffer.length < start + size + CRLF.length) return false;
      this.#take(this.#buffer.subarray(start, start + size));
      this.#buffer = this.#buffer.subarray(start + size + CRLF.length);
    }
  }

  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#bodyBytes += bytes.length;
    if (this.#bodyBytes > MAX_RESPONSE_BYTES) throw tooLarge();
    this.#chunks.push(bytes);
  }

  #response(keepAlive: boolean): { response: PostResponse; keepAlive: boolean } {
    const body = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
    const errorCode = this.#headers['x-icws-error-code'];
    // Bytes after the response belong to nothing we asked for: the connection is not reused then.
    const clean = this.#buffer.length === 0;
    return { response: { status: this.#status, body, errorCode }, keepAlive: keepAlive && clean };
  }
}

function tooLarge(): Error {
  return new Error(`the response exceeds ${MAX_RESPONSE_BYTES} bytes`);
}
