/** The labels of the replicated state tree, as UTF-8 bytes: the paths agents read certificates by. */

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Labels of `canister/…`, `canister_ranges/…`, `request_status/…`, `subnet/…` and `time`. */
export const STATE_LABEL = {
  canister: utf8('canister'),
  certifiedData: utf8('certified_data'),
  requestStatus: utf8('request_status'),
  subnet: utf8('subnet'),
  time: utf8('time'),
  canisterRanges: utf8('canister_ranges'),
  node: utf8('node'),
  publicKey: utf8('public_key'),
  reply: utf8('reply'),
  status: utf8('status'),
  errorCode: utf8('error_code'),
  rejectCode: utf8('reject_code'),
  rejectMessage: utf8('reject_message'),
} as const;
