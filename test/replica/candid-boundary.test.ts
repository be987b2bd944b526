/**
 * Candid at the replica's method boundary, through the canister kit: upstream's suites call
 * `ws_message` with its one required argument, where our kit declares a second, `opt AppMessage`.
 */
import { IDL } from '@icp-sdk/core/candid';
import { CanisterWsMessageArgumentsIdl, CanisterWsMessageResultIdl } from '@icws/protocol';
import { appBytes, message, newPrincipal, WsHarness } from '../support/ws-harness';

describe('ws_message on the replica', () => {
  let harness: WsHarness;
  beforeEach(async () => {
    harness = await WsHarness.create();
  });
  afterEach(() => harness.close());

  it('takes a call with one argument, the missing `opt AppMessage` read as null', async () => {
    const key = await harness.open(newPrincipal(), 0n, newPrincipal());
    const arg = new Uint8Array(IDL.encode([CanisterWsMessageArgumentsIdl], [{ msg: message(key, 1n, appBytes('hello'), false) }]));
    const outcome = await harness.raw(key.client_principal, 'ws_message', arg);
    expect(outcome.status).toBe('replied');
    if (outcome.status === 'replied') expect(IDL.decode([CanisterWsMessageResultIdl], outcome.reply)).toEqual([{ Ok: null }]);
    expect(harness.events).toContainEqual({ kind: 'message', client: key.client_principal.toText(), text: 'hello' });
  });

  it('rejects a call without arguments as IC0503, naming the required one', async () => {
    const outcome = await harness.raw(newPrincipal(), 'ws_message', new Uint8Array(IDL.encode([], [])));
    expect(outcome).toMatchObject({ status: 'rejected', rejectCode: 5, errorCode: 'IC0503' });
    expect(outcome.status === 'rejected' && outcome.rejectMessage).toMatch(
      /trapped: failed to decode the arguments of 'ws_message': 0 arguments given, but argument 1 of type record .* is required/,
    );
  });
});
