/**
 * A WebSocket peer written on a bare TCP socket, for tests that must misbehave below what a
 * WebSocket library allows: it upgrades by hand, writes frames or parts of frames, and reads the
 * gateway's close frame.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** How the gateway ended the connection: its close frame, if one arrived before the TCP close. */
export interface RawClose {
  readonly code: number | undefined;
  readonly reason: string;
}

export class RawUpgrade {
  readonly socket: Socket;
  /** Resolves with the HTTP status of the upgrade's answer and its body. */
  readonly answered: Promise<{ status: number; body: string }>;
  /** Resolves once the TCP connection ends. */
  readonly closed: Promise<RawClose>;
  #received = Buffer.alloc(0);
  #headerEnd = -1;

  constructor(url: URL) {
    this.socket = connect(Number(url.port), url.hostname);
    this.socket.on('error', () => undefined);
    const key = randomBytes(16).toString('base64');
    this.socket.write(`GET / HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    this.answered = new Promise((resolve) => {
      const onData = (chunk: Buffer) => {
        this.#received = Buffer.concat([this.#received, chunk]);
        this.#headerEnd = this.#received.indexOf('\r\n\r\n');
        if (this.#headerEnd < 0) return;
        this.socket.off('data', onData);
        const head = this.#received.subarray(0, this.#headerEnd).toString();
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
        this.socket.on('data', (more: Buffer) => void (this.#received = Buffer.concat([this.#received, more])));
        this.socket.once('end', () => resolve({ status, body: this.#received.subarray(this.#headerEnd + 4).toString() }));
        if (status === 101) resolve({ status, body: '' });
      };
      this.socket.on('data', onData);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve(closeFrameIn(this.#received.subarray(this.#headerEnd + 4)))));
  }

  /**
   * Writes the header of a masked binary frame of `length` bytes and `sent` bytes of its payload,
   * in 64 KiB chunks, each after the last was taken by the kernel.
   */
  async writePartialFrame(length: number, sent: number): Promise<void> {
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
    randomBytes(4).copy(header, 10);
    await this.#write(header);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let written = 0; written < sent && !this.socket.destroyed; written += chunk.length) {
      await this.#write(chunk.subarray(0, Math.min(chunk.length, sent - written)));
    }
  }

  #write(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    if (this.socket.write(bytes)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
}

/** @returns the code and reason of the first close frame among the server's (unmasked) frames. */
function closeFrameIn(bytes: Buffer): RawClose {
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at] & 0x0f;
    let length = bytes[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (opcode === 0x8 && start + length <= bytes.length) {
      return { code: length >= 2 ? bytes.readUInt16BE(start) : undefined, reason: bytes.subarray(start + 2, start + length).toString() };
    }
    at = start + length;
  }
  return { code: undefined, reason: '' };
}
