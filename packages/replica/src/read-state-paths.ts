import { Principal } from '@icp-sdk/core/principal';
import { EnvelopeError } from './envelope';
import type { StateSelection } from './state-tree';

const decoder = new TextDecoder();
const CANISTER_FIELDS = new Set(['certified_data', 'module_hash', 'controllers', 'metadata']);
const STATUS_FIELDS = new Set(['status', 'reply', 'reject_code', 'reject_message', 'error_code']);

/**
 * What the URL of a read_state request addresses: a canister (`/api/<v>/canister/<id>/read_state`)
 * or a subnet (`/api/<v>/subnet/<id>/read_state`), which may read only `time` and `subnet` paths.
 */
export type ReadStateScope = { readonly canisterId: Principal } | { readonly subnetId: Principal };

/**
 * @returns whether every path is `time` (or there are none): what agents ask for to learn the
 *   network's time, which any effective canister id may answer
 */
export function asksOnlyForTime(paths: readonly (readonly Uint8Array[])[]): boolean {
  return paths.every((path) => path.length === 1 && decoder.decode(path[0]) === 'time');
}

/**
 * Turns the paths of a read_state request into the parts of the state tree to reveal, refusing
 * paths a caller may not read: other canisters than the one addressed in the URL, statuses of
 * requests sent by someone else, and anything but `time` and `subnet` through a subnet's URL.
 */
export function selectionForPaths(
  paths: readonly (readonly Uint8Array[])[],
  scope: ReadStateScope,
  sender: Principal,
  senderOf: (requestId: Uint8Array) => Principal | undefined,
): StateSelection {
  if ('subnetId' in scope) return subnetSelection(paths, scope.subnetId);
  const effectiveCanisterId = scope.canisterId;
  const canisters: Principal[] = [];
  const requestIds: Uint8Array[] = [];
  let subnet = false;
  for (const path of paths) {
    const shown = () => path.map((label) => printable(label)).join('/');
    const head = path.length > 0 ? decoder.decode(path[0]) : '';
    if (head === 'time' && path.length === 1) continue;
    if (head === 'subnet') {
      subnet = true;
      continue;
    }
    if (head === 'request_status' && (path.length === 2 || (path.length === 3 && STATUS_FIELDS.has(decoder.decode(path[2]))))) {
      const requestId = path[1];
      if (requestId.length !== 32) throw invalidPath(`request id in path ${shown()} must be 32 bytes, got ${requestId.length}`);
      const owner = senderOf(requestId);
      if (owner !== undefined && owner.compareTo(sender) !== 'eq') {
        throw new EnvelopeError(403, 'ICWS_ERR_READ_STATE_FORBIDDEN', `request ${printable(requestId)} was sent by another principal; only its sender may read its status`);
      }
      requestIds.push(requestId);
      continue;
    }
    if (head === 'canister' && path.length >= 3 && CANISTER_FIELDS.has(decoder.decode(path[2]))) {
      const canister = principalOrNull(path[1]);
      if (canister === null || canister.compareTo(effectiveCanisterId) !== 'eq') {
        throw invalidPath(`path ${shown()} names another canister than the effective canister id ${effectiveCanisterId.toText()} of the URL`);
      }
      canisters.push(canister);
      continue;
    }
    throw invalidPath(`unsupported read_state path ${shown()}; supported: time, subnet, request_status/<id>, canister/<id>/certified_data`);
  }
  return { canisters, requestIds, subnet };
}

function subnetSelection(paths: readonly (readonly Uint8Array[])[], subnetId: Principal): StateSelection {
  let subnet = false;
  for (const path of paths) {
    const head = path.length > 0 ? decoder.decode(path[0]) : '';
    if (head === 'time' && path.length === 1) continue;
    if (head === 'subnet') {
      subnet = true;
      continue;
    }
    throw invalidPath(
      `unsupported read_state path ${path.map((label) => printable(label)).join('/')} for subnet ${subnetId.toText()}; a subnet's read_state serves time and subnet/<subnet_id>/…, read canister and request paths at /api/v3/canister/<canister_id>/read_state`,
    );
  }
  return { canisters: [], requestIds: [], subnet };
}

function invalidPath(message: string): EnvelopeError {
  return new EnvelopeError(400, 'ICWS_ERR_READ_STATE_PATH', message);
}

function principalOrNull(bytes: Uint8Array): Principal | null {
  try {
    return bytes.length <= 29 ? Principal.fromUint8Array(bytes) : null;
  } catch {
    return null;
  }
}

function printable(label: Uint8Array): string {
  const text = decoder.decode(label);
  return /^[\x20-\x7e]*$/.test(text) ? text : Buffer.from(label).toString('hex');
}
