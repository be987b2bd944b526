/** The close codes of icws: one table that gateway and client read. */
import { CLOSE_CODES, CloseCode, closeCodeInfo, closeReason, isReconnectable, MAX_CLOSE_REASON_BYTES } from './close-codes';

describe('CLOSE_CODES', () => {
  it('gives each code one name', () => {
    const codes = Object.values(CLOSE_CODES).map((info) => info.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(CloseCode.POLICY_VIOLATION).toBe(1008);
    expect(CloseCode.CLOSED_BY_APPLICATION).toBe(4001);
  });

  it('keeps the codes the upstream client uses for the same events', () => {
    expect(CloseCode.PROTOCOL_ERROR).toBe(4000);
    expect(CloseCode.CLOSED_BY_APPLICATION).toBe(4001);
  });

  it('uses only codes a close frame may carry', () => {
    for (const { code } of Object.values(CLOSE_CODES)) expect(code === 1006 || (code >= 1000 && code <= 1014) || (code >= 4000 && code <= 4999)).toBe(true);
  });
});

describe('isReconnectable', () => {
  it.each([
    [1000, false],
    [1008, false],
    [4001, false],
    [4006, false],
    [1001, true],
    [1006, true],
    [1011, true],
    [4004, true],
  ])('after %i: %s', (code, reconnect) => {
    expect(isReconnectable(code)).toBe(reconnect);
    expect(closeCodeInfo(code)?.reconnect).toBe(reconnect);
  });

  it('reconnects after a code it does not know', () => {
    expect(isReconnectable(4999)).toBe(true);
    expect(closeCodeInfo(4999)).toBeUndefined();
  });
});

describe('closeReason', () => {
  it('keeps a short reason', () => {
    expect(closeReason('client closed')).toBe('client closed');
  });

  it('cuts a long reason to what a close frame carries, at a character boundary', () => {
    const reason = closeReason('é'.repeat(100));
    expect(new TextEncoder().encode(reason).length).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(reason.endsWith('...')).toBe(true);
    expect(reason).not.toContain('\uFFFD');
  });
});
