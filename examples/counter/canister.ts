import { IDL } from '@icp-sdk/core/candid';
import { defineCanister, query, update } from '@icws/backend-cdk';

/** A counter: the smallest canister with an update and a query method. */
export default defineCanister((ic) => {
  let count = 0n;
  return {
    increment: update([], [IDL.Nat], () => ++count),
    add: update([IDL.Nat], [IDL.Nat], (n) => (count += BigInt(n))),
    get: query([], [IDL.Nat], () => count),
    whoami: query([], [IDL.Principal], () => ic.caller()),
    fail: update([IDL.Text], [], (reason) => {
      throw new Error(reason);
    }),
  };
});
