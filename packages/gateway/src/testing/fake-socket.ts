/** A socket for unit tests of sessions: records what the gateway sends. Not part of the package. */
import { EventEmitter } from 'node:events';
import type { SessionSocket } from '../session';

export class FakeSocket extends EventEmitter implements SessionSocket {
  bufferedAmount = 0;
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
