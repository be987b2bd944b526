/**
 * Session against a scripted fake gateway: a fake socket, a signer that records what it signs and
 * a verifier that accepts (or refuses) on cue, with fake timers. Certificates are covered by
 * certification.test.ts and the end-to-end tests.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import {
  ackMessage,
  closeMessage,
  decodeServiceMessage,
  decodeWsOpenArgs,
  encodeGatewayHandshake,
  openMessage,
  type CanisterToClientMessage,
  type ClientKey,
} from '@icws/protocol';
import { IcWebSocketError } from './errors';
import { Session, type SessionEnd, type SessionOptions } from './session';
import { CanisterFrames, RecordingSigner, ScriptedSocket as FakeSocket } from './test-support/scripted-gateway';

const gatewayPrincipal = Ed25519KeyIdentity.generate().getPrincipal();
const clientPrincipal = Ed25519KeyIdentity.generate().getPrincipal();
const clientNonce = 42n;
const clientKey: ClientKey = { client_principal: clientPrincipal, client_nonce: clientNonce };

const frames = new CanisterFrames(gatewayPrincipal, clientKey);
const relayed: CanisterFrames['relayed'] = (...args) => frames.relayed(...args);
const service: CanisterFrames['service'] = (...args) => frames.service(...args);
const app: CanisterFrames['app'] = (...args) => frames.app(...args);

type Certified = { certificateTimeMs: number };
const certified: Certified = { certificateTimeMs: Date.UTC(2025, 0, 1) };

interface Harness {
  session: Session;
  socket: FakeSocket;
  signer: RecordingSigner;
  verify: jest.Mock<Promise<Certified>, [CanisterToClientMessage]>;
  opened: jest.Mock;
  messages: string[];
  ended: SessionEnd[];
}

function start(overrides: Partial<SessionOptions> = {}): Harness {
  const signer = new RecordingSigner(clientPrincipal);
  const verify = jest.fn<Promise<Certified>, [CanisterToClientMessage]>(async () => certified);
  const messages: string[] = [];
  const ended: SessionEnd[] = [];
  const opened = jest.fn();
  const session = new Session({
    url: 'ws://gateway.test',
    WebSocket: FakeSocket,
    signer,
    verifier: { verify },
    clientNonce,
    openTimeoutMs: 60_000,
    ackTimeoutMs: 330_000,
    silenceTimeoutMs: 330_000,
    onOpen: opened,
    onMessage: (content) => messages.push(new TextDecoder().decode(content)),
    onEnd: (end) => ended.push(end),
    ...overrides,
  });
  return { session, socket: FakeSocket.last, signer, verify, opened, messages, ended };
}

/** Lets pending promises and zero-delay timers run. */
const settle = () => jest.advanceTimersByTimeAsync(0);

async function opened(overrides: Partial<SessionOptions> = {}): Promise<Harness> {
  const h = start(overrides);
  h.socket.accept();
  h.socket.deliver(encodeGatewayHandshake({ gateway_principal: gatewayPrincipal }));
  await settle();
  h.socket.deliver(service(1n, openMessage(clientKey)));
  await settle();
  expect(h.session.state).toBe('open');
  return h;
}

function lastEnd(h: Harness): SessionEnd {
  expect(h.ended).toHaveLength(1);
  return h.ended[0]!;
}

/** Asserts the session closed the socket with `code` because of an error with `errorCode`. */
async function expectFailure(h: Harness, code: number, errorCode: string): Promise<IcWebSocketError> {
  await settle();
  expect(h.session.state).toBe('closing');
  expect(h.socket.closedWith?.code).toBe(code);
  h.socket.closeFromServer(code, h.socket.closedWith?.reason ?? '');
  const end = lastEnd(h);
  expect(end.code).toBe(code);
  expect(end.error).toBeInstanceOf(IcWebSocketError);
  expect(end.error!.code).toBe(errorCode);
  expect(h.session.state).toBe('closed');
  return end.error!;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('Session', () => {
  describe('opening', () => {
    it('answers the handshake with a signed ws_open and opens on the certified open message', async () => {
      const h = start();
      expect(h.session.state).toBe('connecting');
      expect(h.socket.binaryType).toBe('arraybuffer');
      h.socket.accept();
      expect(h.session.state).toBe('handshaking');
      h.socket.deliver(encodeGatewayHandshake({ gateway_principal: gatewayPrincipal }));
      expect(h.session.state).toBe('opening');
      expect(h.session.gatewayPrincipal?.toText()).toBe(gatewayPrincipal.toText());
      await settle();
      expect(h.signer.calls[0]!.method).toBe('ws_open');
      const args = decodeWsOpenArgs(h.signer.calls[0]!.arg);
      expect(args.client_nonce).toBe(clientNonce);
      expect(args.gateway_principal.toText()).toBe(gatewayPrincipal.toText());
      expect(h.socket.sent).toEqual([Uint8Array.of(0)]);
      h.socket.deliver(service(1n, openMessage(clientKey)));
      await settle();
      expect(h.session.state).toBe('open');
      expect(h.opened).toHaveBeenCalledTimes(1);
      expect(h.verify).toHaveBeenCalledTimes(1);
    });

    it('refuses a first frame that is not a handshake', async () => {
      const h = start();
      h.socket.accept();
      h.socket.deliver(Uint8Array.of(0xa0));
      const err = await expectFailure(h, 4000, 'ICWS_ERR_BAD_HANDSHAKE');
      expect(err.message).toContain('the first frame of the gateway is not its handshake');
    });

    it('refuses an open message for another client key', async () => {
      const h = start();
      h.socket.accept();
      h.socket.deliver(encodeGatewayHandshake({ gateway_principal: gatewayPrincipal }));
      // certified for our key, but the open message inside names another nonce
      h.socket.deliver(service(1n, openMessage({ client_principal: clientPrincipal, client_nonce: 7n })));
      await expectFailure(h, 4002, 'ICWS_ERR_WRONG_CLIENT_KEY');
    });

    it('refuses an application message before the open message', async () => {
      const h = start();
      h.socket.accept();
      h.socket.deliver(encodeGatewayHandshake({ gateway_principal: gatewayPrincipal }));
      h.socket.deliver(app(1n, 'too early'));
      const err = await expectFailure(h, 4000, 'ICWS_ERR_BAD_SERVICE_MESSAGE');
      expect(err.message).toBe("the canister's first message must be its open message, got an application message");
      expect(h.opened).not.toHaveBeenCalled();
    });

    it.each([
      ['connecting', (_h: Harness) => undefined, 'did not open within 60000 ms'],
      ['handshaking', (h: Harness) => h.socket.accept(), 'the gateway sent no handshake within 60000 ms'],
      [
        'opening',
        (h: Harness) => {
          h.socket.accept();
          h.socket.deliver(encodeGatewayHandshake({ gateway_principal: gatewayPrincipal }));
        },
        "the canister's open message did not arrive within 60000 ms",
      ],
    ])('times out while %s, saying which step did not happen', async (_state, advance, message) => {
      const h = start();
      advance(h);
      await jest.advanceTimersByTimeAsync(59_999);
      expect(h.ended).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);
      const err = await expectFailure(h, 4003, 'ICWS_ERR_OPEN_TIMEOUT');
      expect(err.message).toContain(message);
      expect(err.kind).toBe('timeout');
    });

    it('reports a gateway that refuses the connection', async () => {
      const h = start();
      h.socket.accept();
      h.socket.deliver(encodeGatewayHandshake({ gateway_principal: gatewayPrincipal }));
      h.socket.closeFromServer(1008, 'the canister refused ws_open: nope');
      const end = lastEnd(h);
      expect(end).toMatchObject({ code: 1008, reason: 'the canister refused ws_open: nope' });
      expect(end.error?.code).toBe('ICWS_ERR_CONNECTION_CLOSED');
      expect(end.error?.message).toBe('the gateway closed the connection with code 1008: the canister refused ws_open: nope');
    });

    it('reports a gateway it cannot reach', () => {
      const h = start();
      h.socket.onerror?.({ message: 'connect ECONNREFUSED 127.0.0.1:1' });
      h.socket.closeFromServer(1006, '', false);
      expect(lastEnd(h).error?.message).toBe('could not connect to the gateway at ws://gateway.test (connect ECONNREFUSED 127.0.0.1:1)');
    });
  });

  describe('receiving', () => {
    it('delivers certified application messages in sequence', async () => {
      const h = await opened();
      h.socket.deliver(app(2n, 'a'));
      h.socket.deliver(app(3n, 'b'));
      await settle();
      expect(h.messages).toEqual(['a', 'b']);
    });

    it("hands each message over with its sequence number and its certificate's time", async () => {
      const details: unknown[] = [];
      const h = await opened({ onMessage: (_content, received) => details.push(received) });
      h.verify.mockResolvedValueOnce({ certificateTimeMs: 1_000 }).mockResolvedValueOnce({ certificateTimeMs: 2_000 });
      h.socket.deliver(app(2n, 'a'));
      h.socket.deliver(app(3n, 'b'));
      await settle();
      expect(details).toEqual([
        { sequenceNum: 2n, certificateTimeMs: 1_000 },
        { sequenceNum: 3n, certificateTimeMs: 2_000 },
      ]);
    });

    it('keeps the order while certificates are being verified', async () => {
      const h = await opened();
      let release!: () => void;
      h.verify.mockImplementationOnce(() => new Promise<Certified>((resolve) => (release = () => resolve(certified))));
      h.socket.deliver(app(2n, 'slow'));
      h.socket.deliver(app(3n, 'fast'));
      await settle();
      expect(h.messages).toEqual([]);
      release();
      await settle();
      expect(h.messages).toEqual(['slow', 'fast']);
    });

    it('closes on a message that fails verification, delivering nothing after it', async () => {
      const h = await opened();
      h.verify.mockRejectedValueOnce(new IcWebSocketError('ICWS_ERR_INVALID_CONTENT', 'the content of message k is not the content the canister certified'));
      h.socket.deliver(app(2n, 'forged'));
      h.socket.deliver(app(3n, 'after'));
      const err = await expectFailure(h, 4002, 'ICWS_ERR_INVALID_CONTENT');
      expect(err.kind).toBe('trust');
      expect(h.messages).toEqual([]);
    });

    it.each([
      ['dropped', [4n], 'expected message 2 from the canister, got message 4: the gateway dropped or reordered messages 2..3'],
      ['repeated', [2n, 2n], 'expected message 3 from the canister, got message 2: the gateway repeated or reordered message 2'],
      ['swapped', [3n, 2n], 'expected message 2 from the canister, got message 3: the gateway dropped or reordered message 2'],
    ])('closes when messages are %s', async (_what, sequence, message) => {
      const h = await opened();
      for (const seq of sequence) h.socket.deliver(app(seq, `m${seq}`));
      const err = await expectFailure(h, 4000, 'ICWS_ERR_SEQUENCE_MISMATCH');
      expect(err.message).toBe(message);
    });

    it("closes on another client's certified message", async () => {
      const h = await opened();
      h.socket.deliver(relayed(2n, Uint8Array.of(1), false, { client_principal: Principal.fromText('aaaaa-aa'), client_nonce: clientNonce }));
      const err = await expectFailure(h, 4002, 'ICWS_ERR_WRONG_CLIENT_KEY');
      expect(err.message).toMatch(/is certified for client aaaaa-aa_42, not for this one/);
    });

    it('closes on a frame that is not a relayed message', async () => {
      const h = await opened();
      h.socket.deliver(Uint8Array.of(1, 2, 3));
      await expectFailure(h, 4000, 'ICWS_ERR_BAD_FRAME');
    });

    it('closes on a text frame', async () => {
      const h = await opened();
      h.socket.onmessage?.({ data: 'hello' });
      const err = await expectFailure(h, 4000, 'ICWS_ERR_BAD_FRAME');
      expect(err.message).toContain('text frame');
    });

    it('closes on a second open message', async () => {
      const h = await opened();
      h.socket.deliver(service(2n, openMessage(clientKey)));
      await expectFailure(h, 4000, 'ICWS_ERR_BAD_SERVICE_MESSAGE');
    });

    it('closes on a keep-alive from the canister', async () => {
      const h = await opened();
      h.socket.deliver(service(2n, { KeepAliveMessage: { last_incoming_sequence_num: 0n } }));
      const err = await expectFailure(h, 4000, 'ICWS_ERR_BAD_SERVICE_MESSAGE');
      expect(err.message).toBe('the canister sent a KeepAliveMessage, which only clients send');
    });

    it('closes on service bytes that are not a service message', async () => {
      const h = await opened();
      h.socket.deliver(relayed(2n, Uint8Array.of(9, 9), true));
      await expectFailure(h, 4000, 'ICWS_ERR_BAD_SERVICE_MESSAGE');
    });
  });

  describe('#send', () => {
    it('refuses to send before the connection is open', () => {
      const h = start();
      expect(() => h.session.send(Uint8Array.of(1))).toThrow(expect.objectContaining({ code: 'ICWS_ERR_NOT_OPEN' }));
    });

    it('numbers messages from 1 with the client key and writes them in order, even when signing finishes out of order', async () => {
      const h = await opened();
      h.signer.delays = [0, 30, 10, 0];
      h.session.send(Uint8Array.of(1));
      h.session.send(Uint8Array.of(2));
      h.session.send(Uint8Array.of(3));
      await jest.advanceTimersByTimeAsync(50);
      expect(h.socket.sent).toEqual([0, 1, 2, 3].map((i) => Uint8Array.of(i)));
      for (const i of [1, 2, 3]) {
        const msg = h.signer.message(i);
        expect(msg.sequence_num).toBe(BigInt(i));
        expect(msg.is_service_message).toBe(false);
        expect(msg.client_key.client_nonce).toBe(clientNonce);
        expect(msg.client_key.client_principal.toText()).toBe(clientPrincipal.toText());
        expect(Array.from(msg.content)).toEqual([i]);
      }
    });

    it('closes when the identity cannot sign', async () => {
      const h = await opened();
      h.signer.fail = new IcWebSocketError('ICWS_ERR_SIGNING_FAILED', 'the delegation expired');
      h.session.send(Uint8Array.of(1));
      const err = await expectFailure(h, 4006, 'ICWS_ERR_SIGNING_FAILED');
      expect(err.message).toBe('the delegation expired');
    });
  });

  describe('acks and keep-alives', () => {
    it('answers each ack with a keep-alive naming the last message received', async () => {
      const h = await opened();
      h.session.send(Uint8Array.of(1));
      h.socket.deliver(app(2n, 'x'));
      await settle();
      h.socket.deliver(service(3n, ackMessage(1n)));
      await settle();
      const keepAlive = h.signer.message(2);
      expect(keepAlive.is_service_message).toBe(true);
      expect(keepAlive.sequence_num).toBe(2n);
      expect(decodeServiceMessage(keepAlive.content)).toEqual({ KeepAliveMessage: { last_incoming_sequence_num: 3n } });
      expect(h.session.state).toBe('open');
    });

    it('closes when a sent message stays unacknowledged past the ack timeout', async () => {
      const h = await opened({ ackTimeoutMs: 10_000 });
      h.session.send(Uint8Array.of(1));
      await jest.advanceTimersByTimeAsync(4_000);
      h.session.send(Uint8Array.of(2));
      await jest.advanceTimersByTimeAsync(5_999);
      expect(h.session.state).toBe('open');
      await jest.advanceTimersByTimeAsync(1);
      const err = await expectFailure(h, 4004, 'ICWS_ERR_ACK_TIMEOUT');
      expect(err.message).toBe(
        "the canister did not acknowledge message 1 within 10000 ms: the gateway may be dropping messages (ackMessageIntervalMs must equal the canister's ack interval)",
      );
    });

    it('keeps the connection while acks come in time', async () => {
      const h = await opened({ ackTimeoutMs: 10_000 });
      let seq = 2n;
      for (let round = 0; round < 5; round++) {
        h.session.send(Uint8Array.of(round));
        await jest.advanceTimersByTimeAsync(8_000);
        h.socket.deliver(service(seq++, ackMessage(BigInt(2 * round + 1))));
        await settle();
      }
      await jest.advanceTimersByTimeAsync(9_000);
      expect(h.session.state).toBe('open');
      expect(h.ended).toEqual([]);
    });

    it('closes when an ack leaves an older message unacknowledged past the timeout', async () => {
      const h = await opened({ ackTimeoutMs: 10_000 });
      h.session.send(Uint8Array.of(1));
      h.session.send(Uint8Array.of(2));
      await jest.advanceTimersByTimeAsync(100);
      jest.setSystemTime(Date.now() + 20_000); // time jumps (a suspended laptop): the timer has not fired yet
      h.socket.deliver(service(2n, ackMessage(1n)));
      const err = await expectFailure(h, 4004, 'ICWS_ERR_ACK_TIMEOUT');
      expect(err.message).toContain('message 2 within');
    });

    it('closes on an ack of a message never sent', async () => {
      const h = await opened();
      h.socket.deliver(service(2n, ackMessage(5n)));
      const err = await expectFailure(h, 4000, 'ICWS_ERR_BAD_SERVICE_MESSAGE');
      expect(err.message).toBe('the canister acknowledged message 5, but only 0 were sent');
    });
  });

  describe('silence', () => {
    it('closes an idle connection that hears nothing from the canister within the bound after opening', async () => {
      const h = await opened({ silenceTimeoutMs: 10_000 });
      await jest.advanceTimersByTimeAsync(9_999);
      expect(h.session.state).toBe('open');
      await jest.advanceTimersByTimeAsync(1);
      const err = await expectFailure(h, 4007, 'ICWS_ERR_CANISTER_SILENT');
      expect(err.kind).toBe('timeout');
      expect(err.message).toMatch(/^no ack nor other message from the canister for 10000 ms, .*the gateway withholds its messages, the replica is down/);
      expect(lastEnd(h).final).toBe(false);
      expect(h.signer.calls.map((call) => call.method)).toEqual(['ws_open']);
    });

    it('says the canister went silent, not that an ack is missing, when it sent on the last message heard and nothing came after', async () => {
      const h = await opened({ ackTimeoutMs: 10_000, silenceTimeoutMs: 10_000 });
      await jest.advanceTimersByTimeAsync(5_000);
      h.socket.deliver(service(2n, ackMessage(0n)));
      await settle();
      h.session.send(Uint8Array.of(1)); // as a keep-alive answers an ack: both deadlines now fall together
      await jest.advanceTimersByTimeAsync(10_000);
      await expectFailure(h, 4007, 'ICWS_ERR_CANISTER_SILENT');
    });

    it('counts the bound from the last certified message: acks keep an idle connection open', async () => {
      const h = await opened({ silenceTimeoutMs: 10_000 });
      let seq = 2n;
      for (let round = 0; round < 5; round++) {
        await jest.advanceTimersByTimeAsync(9_000);
        h.socket.deliver(service(seq++, ackMessage(BigInt(round))));
        await settle();
      }
      await jest.advanceTimersByTimeAsync(4_000);
      h.socket.deliver(app(seq++, 'still here'));
      await settle();
      await jest.advanceTimersByTimeAsync(9_999);
      expect(h.session.state).toBe('open');
      expect(h.ended).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      await expectFailure(h, 4007, 'ICWS_ERR_CANISTER_SILENT');
    });

    it('does not count a message whose certificate is still being verified as heard', async () => {
      const h = await opened({ silenceTimeoutMs: 10_000 });
      await jest.advanceTimersByTimeAsync(5_000);
      h.verify.mockImplementationOnce(() => new Promise<Certified>(() => undefined)); // a verification that never ends
      h.socket.deliver(app(2n, 'stuck'));
      await jest.advanceTimersByTimeAsync(5_000);
      await expectFailure(h, 4007, 'ICWS_ERR_CANISTER_SILENT');
    });
  });

  describe('refusals', () => {
    const expired =
      'ICWS_ERR_ENVELOPE_REFUSED: the replica refused the envelope: replica answered 403: delegation 0 expired (ICWS_ERR_DELEGATION_EXPIRED)';

    it('reports an envelope refused for an expired delegation as a final refusal naming both codes', async () => {
      const h = start();
      h.socket.accept();
      h.socket.deliver(encodeGatewayHandshake({ gateway_principal: gatewayPrincipal }));
      await settle();
      h.socket.closeFromServer(1011, expired);
      const end = lastEnd(h);
      expect(end).toMatchObject({ code: 1011, reason: expired, final: true });
      expect(end.error?.code).toBe('ICWS_ERR_CONNECTION_REFUSED');
      expect(end.error?.kind).toBe('reject');
      expect(end.error?.message).toMatch(
        /^the replica refused the client's signed envelope: the identity's delegation expired or is invalid.* \(ICWS_ERR_ENVELOPE_REFUSED, ICWS_ERR_DELEGATION_EXPIRED\); no new connection follows, as it would be refused too: the gateway closed/,
      );
    });

    it('reports a refused ws_open as final', async () => {
      const h = start();
      h.socket.accept();
      h.socket.closeFromServer(1008, 'ICWS_ERR_OPEN_REFUSED: the canister rejected ws_open: not allowed');
      expect(lastEnd(h)).toMatchObject({ code: 1008, final: true, error: { code: 'ICWS_ERR_CONNECTION_REFUSED' } });
    });

    it.each([
      [1011, 'ICWS_ERR_REPLICA_UNAVAILABLE: could not relay to the canister: replica answered 503'],
      [1001, 'ICWS_ERR_SHUTTING_DOWN: the gateway is shutting down'],
      [1006, ''],
    ])('reports a gateway close %i %j as transient', async (code, reason) => {
      const h = await opened();
      h.socket.closeFromServer(code, reason);
      expect(lastEnd(h)).toMatchObject({ code, final: false, error: { code: 'ICWS_ERR_CONNECTION_CLOSED' } });
    });

    it('ends final when the identity cannot sign', async () => {
      const h = start();
      h.signer.fail = new Error('delegation expired');
      h.socket.accept();
      h.socket.deliver(encodeGatewayHandshake({ gateway_principal: gatewayPrincipal }));
      await expectFailure(h, 4006, 'ICWS_ERR_SIGNING_FAILED');
      expect(lastEnd(h).final).toBe(true);
    });
  });

  describe('closing', () => {
    it('closes with 1000 and reports once the closing handshake is done', async () => {
      const h = await opened();
      h.session.close();
      expect(h.session.state).toBe('closing');
      expect(h.socket.closedWith).toEqual({ code: 1000, reason: '' });
      h.session.close();
      h.socket.closeFromServer(1000);
      expect(lastEnd(h)).toEqual({ code: 1000, reason: '', wasClean: true, final: true });
    });

    it('gives up on the closing handshake after the grace period', async () => {
      const h = await opened({ closeGraceMs: 500 });
      h.session.close(1000, 'bye');
      await jest.advanceTimersByTimeAsync(500);
      expect(lastEnd(h)).toEqual({ code: 1000, reason: 'bye', wasClean: false, final: true });
    });

    it('honours the canister closing the connection', async () => {
      const h = await opened();
      h.socket.deliver(service(2n, closeMessage('ClosedByApplication')));
      await settle();
      expect(h.socket.closedWith).toEqual({ code: 4001, reason: 'ClosedByApplication' });
      h.socket.closeFromServer(4001, 'ClosedByApplication');
      expect(lastEnd(h)).toEqual({ code: 4001, reason: 'ClosedByApplication', wasClean: true, final: true });
    });

    it('reports the reason when the canister closes the connection because of an error', async () => {
      const h = await opened();
      h.socket.deliver(service(2n, closeMessage('KeepAliveTimeout')));
      const err = await expectFailure(h, 4005, 'ICWS_ERR_CANISTER_CLOSED');
      expect(err.message).toBe('the canister closed the connection: KeepAliveTimeout');
      expect(err.kind).toBe('closed');
    });

    it('ignores frames and verifications that complete after it closed', async () => {
      const h = await opened();
      let release!: () => void;
      h.verify.mockImplementationOnce(() => new Promise<Certified>((resolve) => (release = () => resolve(certified))));
      h.socket.deliver(app(2n, 'late'));
      await settle();
      h.session.close();
      release();
      h.socket.deliver(app(3n, 'later'));
      await settle();
      h.socket.closeFromServer(1000);
      expect(h.messages).toEqual([]);
      expect(h.ended).toHaveLength(1);
    });

    it('reports the gateway closing an open connection', async () => {
      const h = await opened();
      h.socket.closeFromServer(1001, 'gateway shutting down');
      const end = lastEnd(h);
      expect(end).toMatchObject({ code: 1001, reason: 'gateway shutting down', wasClean: true });
      expect(end.error?.code).toBe('ICWS_ERR_CONNECTION_CLOSED');
    });

    it('cuts long reasons to what a close frame can carry', async () => {
      const h = await opened();
      h.session.fail(new IcWebSocketError('ICWS_ERR_BAD_FRAME', 'x'.repeat(300)));
      expect(new TextEncoder().encode(h.socket.closedWith!.reason!).length).toBeLessThanOrEqual(123);
      h.socket.closeFromServer(4000);
      expect(lastEnd(h).reason).toHaveLength(300);
    });
  });
});
