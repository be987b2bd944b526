import { IDL } from '@icp-sdk/core/candid';
import { defineCanister, query, update } from '@icws/backend-cdk';

/** The value's certified form: 4 bytes, little-endian. */
export function certifiedBytes(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

export const CertifiedValue = IDL.Record({ value: IDL.Nat32, certificate: IDL.Opt(IDL.Vec(IDL.Nat8)) });

/**
 * A variable whose value queries can prove: each update certifies it, and `get` returns it with
 * the certificate that covers it, so a client needs to trust neither the node nor the network.
 */
export default defineCanister((ic) => {
  let value = 0;
  ic.setCertifiedData(certifiedBytes(value));
  return {
    set: update([IDL.Nat32], [], (next) => {
      value = Number(next);
      ic.setCertifiedData(certifiedBytes(value));
    }),
    inc: update([], [IDL.Nat32], () => {
      value = (value + 1) >>> 0;
      ic.setCertifiedData(certifiedBytes(value));
      return value;
    }),
    get: query([], [CertifiedValue], () => {
      const certificate = ic.dataCertificate();
      return { value, certificate: certificate === undefined ? [] : [certificate] };
    }),
  };
});
