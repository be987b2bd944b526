/**
 * A socket for unit tests of sessions: records what the gateway sends, and stands in for the
 * connection under it too (its `data` events are the bytes read). Not part of the package.
 */
import { EventEmitter } from 'node:events';
import type { SessionSocket, SessionWire } from '../session';

export class FakeSocket extends EventEmitter implements SessionSocket, SessionWire {
  bufferedAmount = 0;
  /** Pings the gateway sent. */
  pings = 0;
  /** Whether the gateway stopped reading. */
  paused = false;
  /** Frames the gateway sent, in order. */
  readonly sent: Uint8Array[] = [];
  /** Every close the gateway asked for. */
  readonly closes: Array<{ readonly code: number; readonly reason: string }> = [];
  terminated = false;

  send(data: Uint8Array): void {
    this.sent.push(data);
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }

  terminate(): void {
    this.terminated = true;
  }

  ping(): void {
    this.pings++;
  }

  pause(): void {
    this.paused = true;
  }

  /** The client answers a ping: the 6 bytes of an empty pong frame are read, then parsed. */
  pong(): void {
    this.emit('data', Buffer.alloc(6));
    this.emit('pong', Buffer.alloc(0));
  }

  /**
   * The connection reads `bytes` bytes that the WebSocket parser does not complete a frame with
   * (part of a frame).
   */
  receivePart(bytes: number): void {
    this.emit('data', Buffer.alloc(bytes));
  }

  /** The client sends a frame. */
  receive(frame: Uint8Array | string): void {
    const binary = typeof frame !== 'string';
    this.emit('message', binary ? Buffer.from(frame) : Buffer.from(frame, 'utf8'), binary);
  }

  /** The client's connection ends. */
  end(): void {
    this.emit('close');
  }
}
