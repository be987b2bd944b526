import { Principal } from '@icp-sdk/core/principal';
import { canisterIdAt } from './canister-ids';
import { EnvelopeError } from './envelope';
import { asksOnlyForTime, selectionForPaths } from './read-state-paths';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const canisterId = canisterIdAt(0);
const subnetId = Principal.selfAuthenticating(new Uint8Array(40).fill(1));
const anonymous = Principal.anonymous();
const nobody = () => undefined;

describe('asksOnlyForTime', () => {
  test('is true for time paths only, and for no paths', () => {
    expect(asksOnlyForTime([[utf8('time')]])).toBe(true);
    expect(asksOnlyForTime([[utf8('time')], [utf8('time')]])).toBe(true);
    expect(asksOnlyForTime([])).toBe(true);
  });

  test('is false as soon as one path asks for more', () => {
    expect(asksOnlyForTime([[utf8('time')], [utf8('subnet')]])).toBe(false);
    expect(asksOnlyForTime([[utf8('time'), utf8('x')]])).toBe(false);
    expect(asksOnlyForTime([[utf8('canister'), canisterId.toUint8Array(), utf8('certified_data')]])).toBe(false);
  });
});

describe('selectionForPaths', () => {
  describe('through a subnet URL', () => {
    test('reveals time and the subnet', () => {
      const paths = [[utf8('time')], [utf8('subnet'), subnetId.toUint8Array(), utf8('node')]];
      expect(selectionForPaths(paths, { subnetId }, anonymous, nobody)).toEqual({ canisters: [], requestIds: [], subnet: true });
      expect(selectionForPaths([[utf8('time')]], { subnetId }, anonymous, nobody)).toEqual({ canisters: [], requestIds: [], subnet: false });
    });

    test.each([
      ['a canister path', [utf8('canister'), canisterId.toUint8Array(), utf8('certified_data')]],
      ['a request status', [utf8('request_status'), new Uint8Array(32)]],
    ])('refuses %s with ICWS_ERR_READ_STATE_PATH', (_name, path) => {
      const attempt = () => selectionForPaths([path], { subnetId }, anonymous, nobody);
      expect(attempt).toThrow(EnvelopeError);
      expect(attempt).toThrow(expect.objectContaining({ code: 'ICWS_ERR_READ_STATE_PATH', status: 400 }));
      expect(attempt).toThrow(`for subnet ${subnetId.toText()}`);
    });
  });

  describe('through a canister URL', () => {
    test("reveals the URL's canister", () => {
      const paths = [[utf8('canister'), canisterId.toUint8Array(), utf8('certified_data')]];
      expect(selectionForPaths(paths, { canisterId }, anonymous, nobody).canisters.map((id) => id.toText())).toEqual([canisterId.toText()]);
    });

    test('refuses another canister', () => {
      const other = canisterIdAt(1);
      const paths = [[utf8('canister'), other.toUint8Array(), utf8('certified_data')]];
      expect(() => selectionForPaths(paths, { canisterId }, anonymous, nobody)).toThrow(expect.objectContaining({ code: 'ICWS_ERR_READ_STATE_PATH' }));
    });
  });
});
