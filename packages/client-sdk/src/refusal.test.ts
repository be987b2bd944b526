/** Which ends of a connection are final: gateway close codes and reasons, and the client's own closes. */
import { classifyClientClose, classifyGatewayClose } from './refusal';

const refused = (body: string) => `ICWS_ERR_ENVELOPE_REFUSED: the replica refused the envelope: replica answered 403: ${body}`;

describe('classifyGatewayClose', () => {
  it.each([
    ['an expired delegation', 1011, refused('delegation 0 expired at 2024-01-01T00:00:00Z (ICWS_ERR_DELEGATION_EXPIRED)'), 'ICWS_ERR_DELEGATION_EXPIRED'],
    ['a signature that does not verify', 1011, refused('sender_sig does not verify (ICWS_ERR_BAD_SIGNATURE)'), 'ICWS_ERR_BAD_SIGNATURE'],
    ['an envelope refusal whose replica code was cut off', 1011, refused('delegation 0 expired at 2024-01-01T00:00:00Z; sign in again to get a fresh del...'), undefined],
    ['a refused ws_open', 1008, 'ICWS_ERR_OPEN_REFUSED: the canister rejected ws_open: nope', undefined],
    ['ws_open naming another gateway', 1008, 'ICWS_ERR_WRONG_GATEWAY: ws_open names gateway x, but this is y', undefined],
    ['a first call that is not ws_open', 1008, 'ICWS_ERR_OPEN_REQUIRED: the first frame must be a ws_open call', undefined],
  ])('is final for %s', (_what, code, reason, replicaCode) => {
    const verdict = classifyGatewayClose(code, reason);
    expect(verdict.final).toBe(true);
    expect(verdict.gatewayCode).toBe(reason.split(':')[0]);
    expect(verdict.replicaCode).toBe(replicaCode);
    expect(verdict.refusal).toEqual(expect.any(String));
  });

  it.each([
    ['an unavailable replica', 1011, 'ICWS_ERR_REPLICA_UNAVAILABLE: could not relay to the canister: replica answered 503'],
    ['an overloaded replica', 1013, 'ICWS_ERR_REPLICA_OVERLOADED: the replica stayed overloaded; reconnect later: replica answered 503'],
    ['an overloaded replica, under any close code', 1011, 'ICWS_ERR_REPLICA_OVERLOADED: the replica stayed overloaded'],
    ['a gateway shutting down', 1001, 'ICWS_ERR_SHUTTING_DOWN: the gateway is shutting down'],
    ['a slow reader', 1013, 'ICWS_ERR_CLIENT_TOO_SLOW: client too slow'],
    ['a client key in use (a new session has a new nonce)', 1008, 'ICWS_ERR_CLIENT_KEY_IN_USE: client key x is already connected'],
    ['an envelope that outlived its expiry in a relay', 1011, refused('ingress_expiry is in the past (ICWS_ERR_EXPIRED)')],
    ['a dropped socket', 1006, ''],
    ['a going-away close without a code', 1001, 'bye'],
    ['a close code icws does not send', 4999, 'whatever'],
  ])('is transient for %s', (_what, code, reason) => {
    const verdict = classifyGatewayClose(code, reason);
    expect(verdict.final).toBe(false);
    expect(verdict.refusal).toBeUndefined();
  });

  it('follows the close code table when the reason carries no code or one it does not classify', () => {
    expect(classifyGatewayClose(1008, 'the canister refused ws_open: nope')).toEqual({ final: true });
    expect(classifyGatewayClose(1000, '')).toEqual({ final: true });
    expect(classifyGatewayClose(1008, 'ICWS_ERR_RELAY_QUEUE_FULL: over 100 calls queued')).toEqual({ final: true, gatewayCode: 'ICWS_ERR_RELAY_QUEUE_FULL' });
    expect(classifyGatewayClose(1009, 'ICWS_ERR_FRAME_TOO_LARGE: frame of 3000000 bytes')).toEqual({ final: false, gatewayCode: 'ICWS_ERR_FRAME_TOO_LARGE' });
  });

  it.each([
    ['a session shed by the overload guard', 1013, 'ICWS_ERR_OVERLOADED: the replica does not keep up; reconnect later'],
    ['a relay backlog past --max-relay-wait-ms', 1013, 'ICWS_ERR_RELAY_BACKLOG: calls waited over 5000 ms for the replica (--max-relay-wait-ms); reconnect later'],
    ['an overloaded replica', 1013, 'ICWS_ERR_REPLICA_OVERLOADED: the replica stayed overloaded'],
    ['a shedding code under another close code', 1011, 'ICWS_ERR_OVERLOADED: shed'],
    ['a bare "try again later"', 1013, ''],
  ])('says "overloaded" for %s, and is transient', (_what, code, reason) => {
    expect(classifyGatewayClose(code, reason)).toMatchObject({ final: false, overloaded: true });
  });

  it('does not say "overloaded" for other transient closes', () => {
    expect(classifyGatewayClose(1006, '').overloaded).toBeUndefined();
    expect(classifyGatewayClose(1001, 'ICWS_ERR_SHUTTING_DOWN: bye').overloaded).toBeUndefined();
    expect(classifyGatewayClose(1011, 'ICWS_ERR_REPLICA_UNAVAILABLE: down').overloaded).toBeUndefined();
    // 1013 with a code of the client's own: a slow reader, a missed ping or open deadline
    expect(classifyGatewayClose(1013, 'ICWS_ERR_CLIENT_TOO_SLOW: client too slow')).toEqual({ final: false, gatewayCode: 'ICWS_ERR_CLIENT_TOO_SLOW' });
    expect(classifyGatewayClose(1013, 'ICWS_ERR_PING_TIMEOUT: no pong').overloaded).toBeUndefined();
    expect(classifyGatewayClose(1013, 'ICWS_ERR_OPEN_TIMEOUT: no ws_open').overloaded).toBeUndefined();
  });

  it('reads the gateway code only at the start of the reason', () => {
    expect(classifyGatewayClose(1011, 'relay failed after ICWS_ERR_ENVELOPE_REFUSED')).toEqual({ final: false });
  });
});

describe('classifyClientClose', () => {
  it.each([
    [4006, true],
    [1000, true],
    [4001, true],
    [4000, false],
    [4002, false],
    [4004, false],
    [4007, false],
  ])('after the client closed with %i: final %s', (code, final) => {
    expect(classifyClientClose(code).final).toBe(final);
  });
});
