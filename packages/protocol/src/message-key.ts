/**
 * Keys of the canister's outbound queues: `<gateway principal text>_<nonce>`, the nonce written
 * as 20 decimal digits, zero-padded (20 digits hold any u64). Each gateway's queue numbers its
 * messages 0, 1, 2, …; the key is also the message's path under `websocket` in the certification
 * tree, and the gateway polls from the nonce after the last key it saw. Zero padding makes the
 * keys of one gateway sort as strings in nonce order, which the canister's range lookups rely on.
 *
 * ```
 * sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae_00000000000000000042
 * └──────────────── gateway principal (text) ─────────────────┘ └────── nonce ──────┘
 * ```
 */
import { Principal } from '@icp-sdk/core/principal';
import { ProtocolError, ProtocolErrorCode } from './errors';

/** Width of the nonce part of a message key. */
export const MESSAGE_KEY_NONCE_DIGITS = 20;

const MAX_U64 = (1n << 64n) - 1n;
const NONCE_PATTERN = /^[0-9]{20}$/;

/** The parts of a message key. */
export interface MessageKey {
  /** The gateway whose queue holds the message. */
  gatewayPrincipal: Principal;
  /** Position of the message in that queue. */
  nonce: bigint;
}

/**
 * @returns the key of the message at `nonce` in the queue of `gatewayPrincipal`.
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when `nonce` is not a u64
 */
export function formatMessageKey(gatewayPrincipal: Principal, nonce: bigint): string {
  return `${gatewayPrincipal.toText()}_${formatNonce(nonce)}`;
}

/**
 * @returns `nonce` as the 20-digit suffix of a message key; with a cached principal text,
 *   `` `${text}_${formatMessageKeyNonce(n)}` `` equals {@link formatMessageKey}.
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when `nonce` is not a u64
 */
export function formatMessageKeyNonce(nonce: bigint): string {
  return formatNonce(nonce);
}

/**
 * @returns the gateway principal and nonce of `key`.
 * @throws {ProtocolError} `ICWS_ERR_BAD_MESSAGE_KEY` when `key` is not
 *   `<canonical principal text>_<20 digits>` with the nonce a u64
 */
export function parseMessageKey(key: string): MessageKey {
  if (typeof key !== 'string') throw badKey(`expected a string, got ${typeof key}`);
  const cut = key.lastIndexOf('_');
  if (cut < 0) throw badKey(`'${key}' has no '_' between principal and nonce`);
  const principalText = key.slice(0, cut);
  const nonceText = key.slice(cut + 1);
  if (!NONCE_PATTERN.test(nonceText)) {
    throw badKey(`'${key}': the nonce must be exactly ${MESSAGE_KEY_NONCE_DIGITS} decimal digits, got '${nonceText}'`);
  }
  const nonce = BigInt(nonceText);
  if (nonce > MAX_U64) throw badKey(`'${key}': the nonce ${nonceText} exceeds 2^64 - 1`);
  let gatewayPrincipal: Principal;
  try {
    gatewayPrincipal = Principal.fromText(principalText);
  } catch (cause) {
    throw badKey(`'${key}': '${principalText}' is not a principal (${String(cause)})`, cause);
  }
  if (gatewayPrincipal.toText() !== principalText) {
    throw badKey(`'${key}': '${principalText}' is not in canonical text form`);
  }
  return { gatewayPrincipal, nonce };
}

/**
 * @returns the nonce of `key` alone, without reading its principal: what a gateway needs of every
 *   message it routes, at a fraction of {@link parseMessageKey}'s cost (which checks the principal's
 *   checksum). A key it reads is not otherwise checked; its certification is the client's to check.
 * @throws {ProtocolError} `ICWS_ERR_BAD_MESSAGE_KEY` when `key` does not end with `_` and 20 digits
 *   of a u64 after at least one character
 */
export function messageKeyNonce(key: string): bigint {
  const cut = typeof key === 'string' ? key.length - MESSAGE_KEY_NONCE_DIGITS - 1 : -1;
  if (cut < 1 || key.charCodeAt(cut) !== 0x5f) return parseMessageKey(key).nonce;
  for (let i = cut + 1; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return parseMessageKey(key).nonce;
  }
  const nonce = BigInt(key.slice(cut + 1));
  if (nonce > MAX_U64) return parseMessageKey(key).nonce;
  return nonce;
}

function formatNonce(nonce: bigint): string {
  if (typeof nonce !== 'bigint' || nonce < 0n || nonce > MAX_U64) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `message key nonce must be a bigint in [0, 2^64), got ${String(nonce)}`, {
      field: 'nonce',
    });
  }
  return nonce.toString().padStart(MESSAGE_KEY_NONCE_DIGITS, '0');
}

function badKey(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.BAD_MESSAGE_KEY, `bad message key: ${message}`, { field: 'key', cause });
}
