/**
 * Errors of `@icws/replica`: a {@link ReplicaError} is an `IcwsError` of `@icws/protocol`. Refused
 * requests carry the HTTP status the replica answers with, and the answer's body is the error's
 * code and message (`ICWS_ERR_BAD_SIGNATURE: sender_sig is not …`).
 */
import { defineErrorCodes, IcwsError } from '@icws/protocol';

/** The codes of {@link ReplicaError}: what each means and the HTTP status it answers with. */
export const REPLICA_ERROR_CODES = defineErrorCodes({
  ICWS_ERR_USAGE: { kind: 'config', summary: 'a command-line flag is missing or malformed (exit code 2)' },
  ICWS_ERR_ROOT_KEY: { kind: 'config', summary: 'the state directory holds a root or subnet key that does not read as a BLS secret key, or a node key that is not an Ed25519 private key' },
  ICWS_ERR_CANISTER_MODULE: { kind: 'config', summary: 'a canister module cannot be loaded, or does not export a canister made by `defineCanister()`' },
  ICWS_ERR_NOT_A_CANISTER: { kind: 'config', summary: 'what was installed is not a module made by `defineCanister()`' },
  ICWS_ERR_CANISTER_ID: { kind: 'config', summary: 'a canister id is taken, or is not a canister id' },
  ICWS_ERR_INIT_ARG: { kind: 'config', summary: 'a canister\'s init text is not Candid of its init types, or the canister declares none' },
  ICWS_ERR_STATE_DIR: { kind: 'config', summary: 'the state directory or its `state.sqlite` cannot be used: not a folder, another program\'s files, not an SQLite database or damaged, another application\'s database, in use by another replica, or key files that are not those it was made with' },
  ICWS_ERR_STATE_FORMAT: { kind: 'config', summary: '`state.sqlite` was written by a newer icws-replica, in a format this one cannot read' },
  ICWS_ERR_STATE_WRITE: { kind: 'internal', httpStatus: 503, summary: 'the state database could not be written (disk full, permissions): the replica certifies nothing more until restarted' },
  ICWS_ERR_UPGRADE: { kind: 'config', summary: 'a canister\'s `preUpgrade`, new factory or `postUpgrade` threw: the upgrade (or the start over its stable state) did not happen, and its stable memory is unchanged' },
  ICWS_ERR_ADMIN_ADDRESS: { kind: 'config', summary: 'the admin API was asked to listen on an address that is not loopback' },
  ICWS_ERR_ADMIN_NOT_FOUND: { kind: 'input', httpStatus: 404, summary: 'an admin API path or method that does not exist' },
  ICWS_ERR_ADMIN_BAD_REQUEST: { kind: 'input', httpStatus: 400, summary: 'an admin API request whose JSON body is malformed or out of range' },
  ICWS_ERR_CLOCK_NOT_CONTROLLABLE: { kind: 'input', httpStatus: 409, summary: 'time was set or advanced on a replica that runs on the system clock' },
  ICWS_ERR_TIME_BACKWARDS: { kind: 'input', httpStatus: 409, summary: 'time was set before the replica\'s current time' },
  ICWS_ERR_REPLICA_CLOSED: { kind: 'internal', httpStatus: 503, summary: 'the replica is shutting down' },
  ICWS_ERR_REPLICA_OVERLOADED: { kind: 'transport', httpStatus: 503, summary: 'more update calls wait for a round than `maxPendingCalls` (`--max-pending-calls`); the call was not queued: send it again later (`retry-after` says when)' },
  ICWS_ERR_TOO_LARGE: { kind: 'input', httpStatus: 413, summary: 'a request body over the size limit' },
  ICWS_ERR_BAD_CBOR: { kind: 'input', httpStatus: 400, summary: 'a request body that is not CBOR' },
  ICWS_ERR_MALFORMED_ENVELOPE: { kind: 'input', httpStatus: 400, summary: 'an envelope whose fields are missing or of the wrong type' },
  ICWS_ERR_WRONG_REQUEST_TYPE: { kind: 'input', httpStatus: 400, summary: "`request_type` is not the endpoint's (`call`, `query`, `read_state`)" },
  ICWS_ERR_BAD_CANISTER_ID: { kind: 'input', httpStatus: 400, summary: 'the canister or subnet id in the URL is not a principal' },
  ICWS_ERR_CANISTER_NOT_FOUND: { kind: 'input', httpStatus: 400, summary: 'no canister with that id is installed (a `read_state` of only `time` is answered for any id)' },
  ICWS_ERR_SUBNET_NOT_FOUND: { kind: 'input', httpStatus: 400, summary: "the subnet id in the URL is not the replica's subnet" },
  ICWS_ERR_MANAGEMENT_CANISTER: { kind: 'input', httpStatus: 400, summary: 'a call to the management canister, which the replica does not host' },
  ICWS_ERR_CANISTER_MISMATCH: { kind: 'input', httpStatus: 400, summary: "`canister_id` differs from the URL's" },
  ICWS_ERR_EXPIRED: { kind: 'input', httpStatus: 400, summary: '`ingress_expiry` is in the past' },
  ICWS_ERR_EXPIRY_TOO_FAR: { kind: 'input', httpStatus: 400, summary: '`ingress_expiry` is more than 5 minutes ahead' },
  ICWS_ERR_ANONYMOUS_SIGNED: { kind: 'trust', httpStatus: 403, summary: 'the anonymous sender with a signature or key' },
  ICWS_ERR_MISSING_SIGNATURE: { kind: 'trust', httpStatus: 403, summary: 'a non-anonymous sender without `sender_pubkey` and `sender_sig`' },
  ICWS_ERR_SENDER_MISMATCH: { kind: 'trust', httpStatus: 403, summary: "`sender` is not the principal of the envelope's key" },
  ICWS_ERR_BAD_SIGNATURE: { kind: 'trust', httpStatus: 403, summary: '`sender_sig` does not verify' },
  ICWS_ERR_BAD_DELEGATION_SIGNATURE: { kind: 'trust', httpStatus: 403, summary: 'a delegation signature does not verify' },
  ICWS_ERR_DELEGATION_EXPIRED: { kind: 'trust', httpStatus: 403, summary: 'a delegation of the chain has expired' },
  ICWS_ERR_DELEGATION_TARGET: { kind: 'trust', httpStatus: 403, summary: "the delegation's targets do not include the canister" },
  ICWS_ERR_DELEGATION_TARGETS: { kind: 'input', httpStatus: 400, summary: 'a delegation lists more targets than allowed' },
  ICWS_ERR_DELEGATION_CHAIN_TOO_LONG: { kind: 'input', httpStatus: 400, summary: 'more than 20 delegations' },
  ICWS_ERR_DELEGATION_CYCLE: { kind: 'input', httpStatus: 400, summary: 'a delegation chain that delegates to a key twice' },
  ICWS_ERR_BAD_PUBLIC_KEY: { kind: 'input', httpStatus: 400, summary: 'a public key that does not parse' },
  ICWS_ERR_UNSUPPORTED_KEY: { kind: 'input', httpStatus: 400, summary: 'a key of an algorithm the replica does not verify' },
  ICWS_ERR_READ_STATE_PATH: { kind: 'input', httpStatus: 400, summary: 'a `read_state` path the replica does not serve' },
  ICWS_ERR_READ_STATE_TOO_LARGE: { kind: 'input', httpStatus: 400, summary: 'a `read_state` with too many or too long paths' },
  ICWS_ERR_READ_STATE_FORBIDDEN: { kind: 'trust', httpStatus: 403, summary: "the status of another sender's request" },
});

/** One of the codes of {@link REPLICA_ERROR_CODES}. */
export type ReplicaErrorCode = keyof typeof REPLICA_ERROR_CODES;

/** The error the replica throws, and answers refused requests with. */
export class ReplicaError extends IcwsError<ReplicaErrorCode> {
  /**
   * @param code - stable machine-readable code, one of {@link REPLICA_ERROR_CODES}
   * @param message - human-readable explanation that names the problem and the fix
   */
  constructor(code: ReplicaErrorCode, message: string, options: { cause?: unknown; httpStatus?: number } = {}) {
    const info = REPLICA_ERROR_CODES[code];
    super(code, message, { cause: options.cause, kind: info.kind, httpStatus: options.httpStatus ?? ('httpStatus' in info ? info.httpStatus : undefined) });
  }
}
