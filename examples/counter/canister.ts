import { IDL } from '@icp-sdk/core/candid';
import { defineCanister, query, StableCell, update } from '@icws/backend-cdk';

/**
 * A counter: the smallest canister with an update and a query method. The count is a stable cell,
 * so it survives upgrades and, with `icws-replica --state-dir`, replica restarts.
 */
export default defineCanister((ic) => {
  const count = StableCell.open(ic, 'count', IDL.Nat, 0n);
  const add = (n: bigint) => {
    const next = count.get() + n;
    count.set(next);
    return next;
  };
  return {
    increment: update([], [IDL.Nat], () => add(1n)),
    add: update([IDL.Nat], [IDL.Nat], (n) => add(BigInt(n))),
    get: query([], [IDL.Nat], () => count.get()),
    whoami: query([], [IDL.Principal], () => ic.caller()),
    fail: update([IDL.Text], [], (reason) => {
      throw new Error(reason);
    }),
  };
});
