/**
 * A client session against a fake socket, a fake transport, a fake clock and the real router (with
 * stand-in pollers, so the test hands the router its batches).
 */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { CanisterWsOpenResultIdl, CloseCode, decodeCanisterToClientMessage, decodeGatewayHandshake, encodeCandid } from '@icws/protocol';
import { GatewayError } from './errors';
import type { RelayOutcome } from './ic-transport';
import { RetryPolicy } from './retry-policy';
import { ClientSession, type SessionLimits, type SessionTimeouts } from './session';
import { settle } from './testing/fake-clock';
import { FakeSocket } from './testing/fake-socket';
import { sessionHarness, TEST_LIMITS, TEST_TIMEOUTS } from './testing/session-harness';
import { deferred, envelopeRefused, FakeTransport, replicaOverloaded, replicaUnavailable } from './testing/fake-transport';
import { errorCount, silentLog, testMetrics } from './testing/gateway-parts';
import { batch, CANISTER_ID, callFrame, canisterMessage, clientKey, GATEWAY_PRINCIPAL, OTHER_CANISTER_ID, wsOpenFrame } from './testing/frames';

function setup(limits: Partial<SessionLimits> = {}, timeouts: Partial<SessionTimeouts> = {}) {
  return sessionHarness({ limits, timeouts });
}

describe('ClientSession', () => {
  describe('on connection', () => {
    it('sends the gateway handshake with the gateway principal', () => {
      const { socket } = setup();
      expect(socket.sent).toHaveLength(1);
      expect(decodeGatewayHandshake(socket.sent[0]).gateway_principal.toText()).toBe(GATEWAY_PRINCIPAL.toText());
    });

    it('awaits ws_open', () => {
      expect(setup().session.state).toBe('awaiting_open');
    });
  });

  describe('the first frame', () => {
    it('must be a ws_open call', async () => {
      const { socket, session, transport } = setup();
      socket.receive(callFrame('ws_message', 'hello'));
      await settle();
      expect(socket.closes).toEqual([{ code: CloseCode.POLICY_VIOLATION, reason: 'ICWS_ERR_OPEN_REQUIRED: the first frame must be a ws_open call, got a call to ws_message' }]);
      expect(session.state).toBe('closed');
      expect(transport.relayed).toEqual([]);
    });

    it('must name this gateway', () => {
      const { socket } = setup();
      socket.receive(wsOpenFrame(7n, { gateway: Principal.fromText('aaaaa-aa') }));
      expect(socket.closes[0].code).toBe(CloseCode.POLICY_VIOLATION);
      expect(socket.closes[0].reason).toBe(`ICWS_ERR_WRONG_GATEWAY: ws_open names gateway aaaaa-aa, but this is ${GATEWAY_PRINCIPAL.toText()}`);
    });

    it('must carry ws_open arguments', () => {
      const { socket } = setup();
      socket.receive(callFrame('ws_open', 'not candid'));
      expect(socket.closes[0].code).toBe(CloseCode.INVALID_PAYLOAD);
      expect(socket.closes[0].reason).toMatch(/^ICWS_ERR_BAD_CLIENT_REQUEST: ws_open argument: /);
    });

    it('must come from a client key not connected here already', () => {
      const first = setup();
      first.socket.receive(wsOpenFrame());
      const socket = new FakeSocket();
      const session = new ClientSession(socket, { ...sessionHostOf(first), transport: first.transport }, 2);
      socket.receive(wsOpenFrame());
      expect(socket.closes[0]).toEqual({ code: CloseCode.POLICY_VIOLATION, reason: `ICWS_ERR_CLIENT_KEY_IN_USE: client key ${clientKey().client_principal.toText()}_7 is already connected to this gateway` });
      expect(session.state).toBe('closed');
    });
  });

  describe('frames', () => {
    it('refuses text frames with 1003', () => {
      const { socket } = setup();
      socket.receive('hello');
      expect(socket.closes[0]).toEqual({ code: CloseCode.UNSUPPORTED_DATA, reason: 'ICWS_ERR_TEXT_FRAME: text frames are not supported; send CBOR client requests in binary frames' });
    });

    it('refuses a frame over the size limit with 1009', () => {
      const { socket } = setup({ maxFrameBytes: 100 });
      socket.receive(new Uint8Array(101));
      expect(socket.closes[0]).toEqual({ code: CloseCode.TOO_BIG, reason: 'ICWS_ERR_FRAME_TOO_LARGE: frame of 101 bytes exceeds the limit of 100 bytes' });
    });

    it('refuses a frame that is not a client request with 1007', () => {
      const { socket } = setup();
      socket.receive(Uint8Array.of(1, 2, 3));
      expect(socket.closes[0].code).toBe(CloseCode.INVALID_PAYLOAD);
      expect(socket.closes[0].reason).toMatch(/^ICWS_ERR_BAD_CLIENT_REQUEST: not a client request: /);
    });

    it('refuses a call to another canister than ws_open named with 1008', async () => {
      const { socket, open } = setup();
      await open();
      socket.receive(callFrame('ws_message', 'x', { canisterId: OTHER_CANISTER_ID }));
      expect(socket.closes[0].code).toBe(CloseCode.POLICY_VIOLATION);
      expect(socket.closes[0].reason).toMatch(/^ICWS_ERR_WRONG_CANISTER: this session is bound to canister rrkah-fqaaa-aaaaa-aaaaq-cai; got a call to ryjl3/);
    });

    it('ignores frames once closed', async () => {
      const { socket, session, transport } = setup();
      session.close(new GatewayError('ICWS_ERR_SHUTTING_DOWN', 'bye'));
      socket.receive(wsOpenFrame());
      await settle();
      expect(transport.relayed).toEqual([]);
      expect(socket.closes).toHaveLength(1);
    });
  });

  describe('states', () => {
    it('goes awaiting_open → opening when ws_open is relayed, with its request id', () => {
      const { socket, session, transport } = setup();
      socket.receive(wsOpenFrame());
      expect(session.state).toBe('opening');
      expect(transport.relayed.map((c) => c.method)).toEqual(['ws_open']);
      expect(transport.relayed[0].requestId).toHaveLength(32);
      expect(session.canisterId?.toText()).toBe(CANISTER_ID.toText());
      expect(session.clientKey).toEqual(clientKey());
    });

    it('goes opening → open with the canister first message, which the client receives', async () => {
      const { socket, session, open } = setup();
      await open();
      expect(session.state).toBe('open');
      const delivered = decodeCanisterToClientMessage(socket.sent[1]);
      expect(new TextDecoder().decode(delivered.content)).toBe('open');
      expect(delivered.cert).toEqual(Uint8Array.of(1));
      expect(delivered.tree).toEqual(Uint8Array.of(2));
    });

    it('goes → closed when the client closes, from any state', async () => {
      for (const reach of [async () => undefined, async (s: ReturnType<typeof setup>) => s.socket.receive(wsOpenFrame()), async (s: ReturnType<typeof setup>) => s.open()]) {
        const parts = setup();
        await reach(parts);
        parts.socket.end();
        expect(parts.session.state).toBe('closed');
        expect(parts.socket.closes).toEqual([]);
      }
    });

    it('closes with 1008 when the canister refuses ws_open', async () => {
      const { socket, session, transport } = setup();
      transport.onRelay = async () => ({ status: 'replied', reply: encodeCandid([CanisterWsOpenResultIdl], [{ Err: 'no room' }]) });
      socket.receive(wsOpenFrame());
      await settle();
      expect(session.state).toBe('closed');
      expect(socket.closes[0]).toEqual({ code: CloseCode.POLICY_VIOLATION, reason: 'ICWS_ERR_OPEN_REFUSED: the canister refused ws_open: no room' });
    });

    it('closes with 1008 when the canister rejects ws_open', async () => {
      const { socket, transport } = setup();
      transport.onRelay = async () => ({ status: 'rejected', message: 'trapped' });
      socket.receive(wsOpenFrame());
      await settle();
      expect(socket.closes[0]).toEqual({ code: CloseCode.POLICY_VIOLATION, reason: 'ICWS_ERR_OPEN_REFUSED: the canister rejected ws_open: trapped' });
    });

    it('closes with 1008 when ws_open answers something else', async () => {
      const { socket, transport } = setup();
      transport.onRelay = async () => ({ status: 'replied', reply: IDL.encode([IDL.Text], ['hi']) });
      socket.receive(wsOpenFrame());
      await settle();
      expect(socket.closes[0].reason).toBe('ICWS_ERR_OPEN_REFUSED: the canister answered ws_open with something other than CanisterWsOpenResult');
    });
  });

  describe('relaying', () => {
    it('holds calls sent while opening and relays them in order once open', async () => {
      const { socket, transport, poll } = setup();
      socket.receive(wsOpenFrame());
      for (const text of ['a', 'b', 'c']) socket.receive(callFrame('ws_message', text));
      await settle();
      expect(transport.relayed.map((c) => c.method)).toEqual(['ws_open']);
      poll(batch([canisterMessage(clientKey(), 0n, 'open')]));
      await settle();
      expect(transport.relayedArgs.slice(1)).toEqual(['a', 'b', 'c']);
    });

    it('relays the calls of an open session one at a time, in order', async () => {
      const { socket, transport, open } = setup();
      await open();
      const answers = [deferred<RelayOutcome>(), deferred<RelayOutcome>()];
      let i = 0;
      transport.onRelay = () => answers[i++].promise;
      socket.receive(callFrame('ws_message', 'a'));
      socket.receive(callFrame('ws_message', 'b'));
      await settle();
      expect(transport.relayedArgs.slice(1)).toEqual(['a']);
      answers[0].resolve({ status: 'executed' });
      await settle();
      expect(transport.relayedArgs.slice(1)).toEqual(['a', 'b']);
      answers[1].resolve({ status: 'executed' });
      expect(transport.mostRelaysInFlight).toBe(1);
    });

    it('asks for a poll soon after a call executed, not after one only accepted', async () => {
      const { socket, transport, open, pollSoon } = setup();
      await open();
      pollSoon.length = 0;
      transport.onRelay = async (call) => (call.arg === 'a' ? { status: 'executed' } : { status: 'accepted' });
      socket.receive(callFrame('ws_message', 'a'));
      socket.receive(callFrame('ws_message', 'b'));
      await settle();
      expect(pollSoon).toEqual([CANISTER_ID.toText()]);
    });

    it('retries a call while the replica is unavailable, keeping the session', async () => {
      const { socket, transport, open, clock, session } = setup();
      await open();
      let down = 3;
      transport.onRelay = async () => {
        if (down-- > 0) throw replicaUnavailable();
        return { status: 'executed' };
      };
      socket.receive(callFrame('ws_message', 'a'));
      await clock.advance(1_000);
      expect(transport.relayedArgs.slice(1)).toEqual(['a', 'a', 'a', 'a']);
      expect(session.state).toBe('open');
    });

    it('retries a call the replica refused as overloaded, with backoff, then relays it and counts each refusal', async () => {
      const { socket, transport, open, clock, session, metrics } = setup();
      await open();
      let overloaded = 2;
      transport.onRelay = async () => {
        if (overloaded-- > 0) throw replicaOverloaded();
        return { status: 'executed' };
      };
      socket.receive(callFrame('ws_message', 'a'));
      socket.receive(callFrame('ws_message', 'b'));
      await settle();
      // One call at a time: b waits behind a while the replica refuses it, which slows the client.
      expect(transport.relayedArgs.slice(1)).toEqual(['a']);
      await clock.advance(1_000);
      expect(transport.relayedArgs.slice(1)).toEqual(['a', 'a', 'a', 'b']);
      expect(session.state).toBe('open');
      expect(socket.closes).toEqual([]);
      expect(await errorCount(metrics, 'replica_overloaded')).toBe(2);
      expect(await errorCount(metrics, 'replica_unavailable')).toBe(0);
    });

    it('closes with 1013 ICWS_ERR_REPLICA_OVERLOADED when the replica stays overloaded through the relay window', async () => {
      const { socket, transport, open, clock, metrics } = setup();
      await open();
      transport.onRelay = async () => {
        throw replicaOverloaded();
      };
      socket.receive(callFrame('ws_message', 'a'));
      await clock.advance(60_000);
      expect(socket.closes[0].code).toBe(CloseCode.TRY_AGAIN_LATER);
      expect(socket.closes[0].reason).toMatch(/^ICWS_ERR_REPLICA_OVERLOADED: the replica stayed overloaded; reconnect later/);
      const attempts = transport.relayedArgs.length - 1;
      expect(attempts).toBeGreaterThan(1);
      expect(await errorCount(metrics, 'replica_overloaded')).toBe(attempts);
    });

    it('closes with 1011 when the replica stays unavailable', async () => {
      const { socket, transport, open, clock, metrics } = setup();
      await open();
      transport.onRelay = async () => {
        throw replicaUnavailable();
      };
      socket.receive(callFrame('ws_message', 'a'));
      await clock.advance(60_000);
      expect(socket.closes[0].code).toBe(CloseCode.INTERNAL_ERROR);
      expect(socket.closes[0].reason).toMatch(/^ICWS_ERR_REPLICA_UNAVAILABLE: could not relay to the canister: cannot reach the replica/);
      expect(await errorCount(metrics, 'replica_unavailable')).toBe(1);
    });

    it('closes with 1011 at once when the replica refuses the envelope', async () => {
      const { socket, transport, open, metrics } = setup();
      await open();
      transport.onRelay = async () => {
        throw envelopeRefused();
      };
      socket.receive(callFrame('ws_message', 'a'));
      await settle();
      expect(socket.closes[0]).toEqual({ code: CloseCode.INTERNAL_ERROR, reason: 'ICWS_ERR_ENVELOPE_REFUSED: the replica refused the envelope: replica answered 400: invalid signature' });
      expect(await errorCount(metrics, 'envelope_refused')).toBe(1);
    });

    it("puts the replica's code right after its own, where a cut close reason still carries it", async () => {
      const { socket, transport, open } = setup();
      await open();
      const body = `sender_delegation[0] expired at 2026-12-01T00:00:00.000Z; sign in again to get a fresh delegation ${'and more '.repeat(10)}(ICWS_ERR_DELEGATION_EXPIRED)`;
      transport.onRelay = async () => {
        throw envelopeRefused(body);
      };
      socket.receive(callFrame('ws_message', 'a'));
      await settle();
      const { reason } = socket.closes[0];
      expect(reason.startsWith('ICWS_ERR_ENVELOPE_REFUSED: ICWS_ERR_DELEGATION_EXPIRED (400): sender_delegation[0] expired at 2026-12-01T00:00:00.000Z;')).toBe(true);
      expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    });
  });

  describe('the relay bound', () => {
    /** Makes every relay after ws_open wait forever. */
    const stall = (transport: FakeTransport) => {
      transport.onRelay = () => new Promise(() => undefined);
    };

    it('closes with 1008 naming --max-queued-frames when a client has too many calls waiting', async () => {
      const { socket, transport, open, session, metrics } = setup({ maxQueuedFrames: 3 });
      await open();
      stall(transport);
      for (const text of ['a', 'b', 'c']) socket.receive(callFrame('ws_message', text));
      expect(session.state).toBe('open');
      socket.receive(callFrame('ws_message', 'd'));
      expect(session.state).toBe('closed');
      expect(socket.closes).toEqual([{ code: CloseCode.POLICY_VIOLATION, reason: 'ICWS_ERR_RELAY_QUEUE_FULL: over 3 calls queued; wait for replies or raise --max-queued-frames' }]);
      expect(await errorCount(metrics, 'relay_queue_full')).toBe(1);
    });

    it('closes with 1009 naming --max-queued-bytes when a client has too many bytes waiting', async () => {
      const { socket, transport, open } = setup({ maxQueuedBytes: 3_000 });
      await open();
      stall(transport);
      socket.receive(callFrame('ws_message', 'a'.repeat(1_200)));
      socket.receive(callFrame('ws_message', 'b'.repeat(1_200)));
      expect(socket.closes).toEqual([]);
      socket.receive(callFrame('ws_message', 'c'.repeat(1_200)));
      expect(socket.closes).toEqual([{ code: CloseCode.TOO_BIG, reason: 'ICWS_ERR_RELAY_QUEUE_TOO_LARGE: over 3000 bytes of calls queued; wait for replies or raise --max-queued-bytes' }]);
    });

    it('closes with 1013 naming --max-relay-wait-ms when a call arrives behind one that waited longer for the replica', async () => {
      const { socket, transport, open, session, clock, metrics } = setup({ maxRelayWaitMs: 5_000 });
      await open();
      stall(transport);
      socket.receive(callFrame('ws_message', 'a'));
      await clock.advance(5_000);
      socket.receive(callFrame('ws_message', 'b'));
      expect(session.state).toBe('open');
      await clock.advance(1);
      socket.receive(callFrame('ws_message', 'c'));
      expect(session.state).toBe('closed');
      expect(socket.closes).toEqual([
        { code: CloseCode.TRY_AGAIN_LATER, reason: 'ICWS_ERR_RELAY_BACKLOG: calls waited over 5000 ms for the replica (--max-relay-wait-ms); reconnect later' },
      ]);
      expect(await errorCount(metrics, 'relay_backlog')).toBe(1);
      expect(await closedCount(metrics, 'ICWS_ERR_RELAY_BACKLOG')).toBe(1);
      expect(transport.relayedArgs.slice(1)).toEqual(['a']);
    });

    it('closes with 1013 as well when a queued call waited longer than --max-relay-wait-ms before it could start', async () => {
      const { socket, transport, open, session, clock } = setup({ maxRelayWaitMs: 5_000 });
      await open();
      const answer = deferred<RelayOutcome>();
      transport.onRelay = () => answer.promise;
      socket.receive(callFrame('ws_message', 'a'));
      socket.receive(callFrame('ws_message', 'b'));
      await clock.advance(5_001);
      answer.resolve({ status: 'executed' });
      await settle();
      expect(session.state).toBe('closed');
      expect(socket.closes[0]).toMatchObject({ code: CloseCode.TRY_AGAIN_LATER, reason: expect.stringMatching(/^ICWS_ERR_RELAY_BACKLOG: /) });
      expect(transport.relayedArgs.slice(1)).toEqual(['a']);
    });

    it('tells how long its oldest call has waited, and the guard of each call queued and relayed', async () => {
      const counted: string[] = [];
      const overload = { arrived: () => void counted.push('arrived'), relayed: () => void counted.push('relayed') };
      const { socket, transport, open, session, clock } = sessionHarness({ overload });
      await open();
      const answer = deferred<RelayOutcome>();
      transport.onRelay = () => answer.promise;
      expect(session.relayWaitMs).toBe(0);
      socket.receive(callFrame('ws_message', 'a'));
      await clock.advance(1_500);
      expect(session.relayWaitMs).toBe(1_500);
      answer.resolve({ status: 'executed' });
      await settle();
      expect(session.relayWaitMs).toBe(0);
      expect(counted).toEqual(['arrived', 'relayed', 'arrived', 'relayed']); // ws_open, then the call
    });

    it('closes with 1013 ICWS_ERR_OVERLOADED when shed', async () => {
      const { socket, open, session, metrics } = setup();
      await open();
      session.shed();
      expect(session.state).toBe('closed');
      expect(socket.closes[0]).toMatchObject({ code: CloseCode.TRY_AGAIN_LATER, reason: expect.stringMatching(/^ICWS_ERR_OVERLOADED: /) });
      expect(await errorCount(metrics, 'overload_shed')).toBe(1);
      expect(await closedCount(metrics, 'ICWS_ERR_OVERLOADED')).toBe(1);
      session.shed();
      expect(await errorCount(metrics, 'overload_shed')).toBe(1);
    });

    it('counts the calls waiting while opening, ws_open included', async () => {
      const { socket } = setup({ maxQueuedFrames: 3 });
      socket.receive(wsOpenFrame());
      socket.receive(callFrame('ws_message', 'a'));
      socket.receive(callFrame('ws_message', 'b'));
      expect(socket.closes).toEqual([]);
      socket.receive(callFrame('ws_message', 'c'));
      expect(socket.closes[0].code).toBe(CloseCode.POLICY_VIOLATION);
    });

    it('lets a client that waits for its calls send as many as it likes', async () => {
      const { socket, transport, open } = setup({ maxQueuedFrames: 2 });
      await open();
      for (let i = 0; i < 20; i++) {
        socket.receive(callFrame('ws_message', `m${i}`));
        await settle();
      }
      expect(socket.closes).toEqual([]);
      expect(transport.relayed).toHaveLength(21);
    });

    it('relays none of the calls dropped by the bound', async () => {
      const { socket, transport, open } = setup({ maxQueuedFrames: 2 });
      await open();
      const answer = deferred<RelayOutcome>();
      transport.onRelay = () => answer.promise;
      for (const text of ['a', 'b', 'c']) socket.receive(callFrame('ws_message', text));
      answer.resolve({ status: 'executed' });
      await settle();
      expect(transport.relayedArgs.slice(1)).toEqual(['a']);
    });
  });

  describe('teardown', () => {
    it('sends ws_close once for the client key, however the session ends', async () => {
      const { socket, session, transport, open } = setup();
      await open();
      session.close(new GatewayError('ICWS_ERR_SHUTTING_DOWN', 'gateway shutting down'));
      socket.end();
      session.close(new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', 'again'));
      await settle();
      expect(transport.closes).toEqual([{ canisterId: CANISTER_ID, clientKey: clientKey() }]);
      expect(socket.closes).toEqual([{ code: CloseCode.GOING_AWAY, reason: 'ICWS_ERR_SHUTTING_DOWN: gateway shutting down' }]);
    });

    it('sends ws_close after the call in flight, and drops the calls waiting', async () => {
      const { socket, transport, open } = setup();
      await open();
      const answer = deferred<RelayOutcome>();
      transport.onRelay = () => answer.promise;
      socket.receive(callFrame('ws_message', 'a'));
      socket.receive(callFrame('ws_message', 'b'));
      socket.end();
      await settle();
      expect(transport.closes).toHaveLength(0);
      answer.resolve({ status: 'executed' });
      await settle();
      expect(transport.closes).toHaveLength(1);
      expect(transport.relayedArgs.slice(1)).toEqual(['a']);
    });

    it('sends no ws_close for a session that never opened', async () => {
      const { socket, transport } = setup();
      socket.receive(callFrame('ws_message', 'x'));
      socket.end();
      await settle();
      expect(transport.closes).toEqual([]);
    });

    it('sends ws_close while opening too', async () => {
      const { socket, transport } = setup();
      socket.receive(wsOpenFrame());
      socket.end();
      await settle();
      expect(transport.closes).toHaveLength(1);
    });

    it('gives the drain the ws_close to wait for, and counts a failed one', async () => {
      const { socket, transport, open, tracked, metrics } = setup();
      await open();
      transport.onWsClose = async () => {
        throw new Error('replica gone');
      };
      socket.end();
      expect(tracked).toHaveLength(1);
      await Promise.all(tracked);
      expect(await errorCount(metrics, 'ws_close')).toBe(1);
    });

    it('releases the route, so the canister is no longer polled for it', async () => {
      const { socket, open, router } = setup();
      await open();
      expect(router.canisterCount).toBe(1);
      socket.end();
      expect(router.canisterCount).toBe(0);
    });

    it('cuts a socket whose closing handshake does not finish', async () => {
      const { socket, session, clock } = setup();
      session.close(new GatewayError('ICWS_ERR_SHUTTING_DOWN', 'bye'));
      await clock.advance(1_999);
      expect(socket.terminated).toBe(false);
      await clock.advance(1);
      expect(socket.terminated).toBe(true);
    });

    it('cuts a close reason to the 123 bytes a close frame carries', () => {
      const { socket, session } = setup();
      session.close(new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', 'x'.repeat(500)));
      expect(Buffer.byteLength(socket.closes[0].reason)).toBeLessThanOrEqual(123);
    });
  });

  describe('the deadline for ws_open', () => {
    it('closes a connection that sends no ws_open in time with 1013', async () => {
      const { socket, session, clock, tracked, metrics } = setup({}, { openTimeoutMs: 5_000 });
      await clock.advance(4_999);
      expect(socket.closes).toEqual([]);
      await clock.advance(1);
      expect(socket.closes).toEqual([{ code: CloseCode.TRY_AGAIN_LATER, reason: 'ICWS_ERR_OPEN_TIMEOUT: no ws_open within 5000 ms of the handshake' }]);
      expect(session.state).toBe('closed');
      expect(tracked).toHaveLength(0);
      expect(await closedCount(metrics, 'ICWS_ERR_OPEN_TIMEOUT')).toBe(1);
    });

    it('no longer applies once ws_open arrived', async () => {
      const { socket, clock, session } = setup({}, { openTimeoutMs: 5_000 });
      socket.receive(wsOpenFrame());
      await clock.advance(20_000);
      expect(socket.closes).toEqual([]);
      expect(session.state).toBe('opening');
    });

    it('ends a frame begun and never finished, and stops reading it', async () => {
      const { socket, clock } = setup({}, { openTimeoutMs: 5_000 });
      socket.receivePart(1_000);
      await clock.advance(5_000);
      expect(socket.closes[0].reason).toMatch(/^ICWS_ERR_OPEN_TIMEOUT: /);
      expect(socket.paused).toBe(true);
    });
  });

  describe('frames before the session is open', () => {
    it('are limited to --max-open-frame-bytes', async () => {
      const { socket } = setup({ maxOpenFrameBytes: 1_000 });
      socket.receive(new Uint8Array(1_001));
      expect(socket.closes).toEqual([{ code: CloseCode.TOO_BIG, reason: expect.stringMatching(/^ICWS_ERR_FRAME_TOO_LARGE: frame of 1001 bytes exceeds the limit of 1000 bytes before the session is open/) }]);
    });

    it('are cut off as soon as an unfinished one passes the limit, without reading further', () => {
      const { socket, session } = setup({ maxOpenFrameBytes: 1_000 });
      socket.receivePart(600);
      socket.receivePart(400);
      expect(socket.closes).toEqual([]);
      socket.receivePart(600);
      expect(socket.closes).toEqual([{ code: CloseCode.TOO_BIG, reason: 'ICWS_ERR_FRAME_TOO_LARGE: a frame of over 1000 bytes before the session is open; ws_open is small (--max-open-frame-bytes)' }]);
      expect(socket.paused).toBe(true);
      expect(session.state).toBe('closed');
    });

    it('count from the last whole message, less pings and pongs', () => {
      const { socket } = setup({ maxOpenFrameBytes: 1_000 });
      socket.receivePart(900);
      socket.receive(wsOpenFrame());
      socket.receivePart(900);
      socket.pong();
      socket.receivePart(110);
      expect(socket.closes).toEqual([]);
    });

    it('may be as large as --max-frame-bytes once the canister opened the session', async () => {
      const { socket, open, session } = setup({ maxOpenFrameBytes: 1_000 });
      await open();
      socket.receivePart(50_000);
      socket.receive(callFrame('ws_message', 'x'.repeat(50_000)));
      expect(socket.closes).toEqual([]);
      expect(session.state).toBe('open');
    });
  });

  describe('pings', () => {
    it('are sent every --ping-interval-ms while the client answers', async () => {
      const { socket, clock, open, session } = setup({}, { pingIntervalMs: 1_000, maxMissedPongs: 2 });
      await open();
      for (let i = 0; i < 5; i++) {
        await clock.advance(1_000);
        socket.pong();
      }
      expect(socket.pings).toBe(5);
      expect(session.state).toBe('open');
    });

    it('end a session whose client leaves --max-missed-pongs in a row unanswered, with 1013 and ws_close', async () => {
      const { socket, clock, open, session, transport, tracked, metrics } = setup({}, { pingIntervalMs: 1_000, maxMissedPongs: 2 });
      await open();
      await clock.advance(1_000);
      socket.pong();
      await clock.advance(2_000);
      expect(session.state).toBe('open');
      await clock.advance(1_000);
      expect(socket.closes).toEqual([{ code: CloseCode.TRY_AGAIN_LATER, reason: 'ICWS_ERR_PING_TIMEOUT: no answer to 2 pings in a row, sent every 1000 ms' }]);
      await Promise.all(tracked);
      expect(transport.closes).toEqual([{ canisterId: CANISTER_ID, clientKey: clientKey() }]);
      expect(await closedCount(metrics, 'ICWS_ERR_PING_TIMEOUT')).toBe(1);
      const pings = socket.pings;
      await clock.advance(10_000);
      expect(socket.pings).toBe(pings);
    });

    it('stop when the client closes', async () => {
      const { socket, clock, metrics } = setup({}, { pingIntervalMs: 1_000 });
      socket.end();
      await clock.advance(10_000);
      expect(socket.pings).toBe(0);
      expect(await closedCount(metrics, 'client')).toBe(1);
    });

    it('also bound a frame that never finishes while pongs still arrive', async () => {
      const { socket, clock, open } = setup({}, { pingIntervalMs: 1_000, maxMissedPongs: 3 });
      await open();
      socket.receivePart(10_000);
      for (let i = 0; i < 2; i++) {
        await clock.advance(1_000);
        socket.pong();
      }
      expect(socket.closes).toEqual([]);
      await clock.advance(1_000);
      expect(socket.closes).toEqual([{ code: CloseCode.TRY_AGAIN_LATER, reason: 'ICWS_ERR_FRAME_TIMEOUT: a frame of which 10000 bytes arrived was not finished within 3000 ms' }]);
      expect(socket.paused).toBe(true);
    });
  });

  describe('closing', () => {
    it('keeps the socket while what was sent before the close frame is unsent, so the reason is not lost', async () => {
      const { socket, session, clock } = setup();
      socket.bufferedAmount = 1_000_000;
      session.close(new GatewayError('ICWS_ERR_CLIENT_TOO_SLOW', 'slow'));
      await clock.advance(10_000);
      expect(socket.terminated).toBe(false);
      socket.bufferedAmount = 0;
      await clock.advance(2_000);
      expect(socket.terminated).toBe(true);
    });

    it('cuts a socket whose client does not read for 30 s', async () => {
      const { socket, session, clock } = setup();
      socket.bufferedAmount = 1_000_000;
      session.close(new GatewayError('ICWS_ERR_CLIENT_TOO_SLOW', 'slow'));
      await clock.advance(29_999);
      expect(socket.terminated).toBe(false);
      await clock.advance(2_000);
      expect(socket.terminated).toBe(true);
    });

    it('leaves a socket that finished its closing handshake alone', async () => {
      const { socket, session, clock } = setup();
      session.close(new GatewayError('ICWS_ERR_SHUTTING_DOWN', 'bye'));
      socket.end();
      await clock.advance(5_000);
      expect(socket.terminated).toBe(false);
    });
  });

  describe('#deliver', () => {
    it('sends nothing once closed', async () => {
      const { socket, session, open } = setup();
      await open();
      session.close(new GatewayError('ICWS_ERR_SHUTTING_DOWN', 'bye'));
      const sent = socket.sent.length;
      session.deliver(canisterMessage(clientKey(), 1n), Uint8Array.of(1), Uint8Array.of(2));
      expect(socket.sent).toHaveLength(sent);
    });

    it('drops a client that reads too slowly with 1013', async () => {
      const { socket, session, open, metrics } = setup({ maxClientBufferBytes: 10 });
      await open();
      socket.bufferedAmount = 11;
      session.deliver(canisterMessage(clientKey(), 1n), Uint8Array.of(1), Uint8Array.of(2));
      expect(socket.closes).toEqual([{ code: CloseCode.TRY_AGAIN_LATER, reason: 'ICWS_ERR_CLIENT_TOO_SLOW: client too slow: more than 10 bytes waiting to be sent' }]);
      expect(await errorCount(metrics, 'slow_client')).toBe(1);
    });

    it('counts each message sent to the client', async () => {
      const { open, metrics } = setup();
      await open();
      const { values } = await metrics.messagesRelayed.get();
      expect(values.find((v) => v.labels.direction === 'canister_to_client')?.value).toBe(1);
      expect(values.find((v) => v.labels.direction === 'client_to_canister')?.value).toBe(1);
    });
  });
});

/** @returns the value of `icws_gateway_sessions_closed_total` for `code`. */
async function closedCount(metrics: ReturnType<typeof testMetrics>, code: string): Promise<number> {
  const { values } = await metrics.sessionsClosed.get();
  return values.find((v) => v.labels.code === code)?.value ?? 0;
}

/** The host of a session made by {@link setup}, to open a second session on the same router. */
function sessionHostOf(parts: ReturnType<typeof setup>) {
  return {
    gatewayPrincipal: GATEWAY_PRINCIPAL,
    transport: parts.transport,
    router: parts.router,
    relayRetry: new RetryPolicy({ minDelayMs: 200, maxDelayMs: 2_000, clock: parts.clock }),
    clock: parts.clock,
    limits: TEST_LIMITS,
    timeouts: TEST_TIMEOUTS,
    metrics: parts.metrics,
    log: silentLog,
    track: () => undefined,
  };
}
