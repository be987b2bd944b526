/**
 * The text form of a client key, `<client principal>_<client nonce>`: how the canisters of the
 * protocol write a key in their `Err` texts, and how logs and in-memory indexes name a client.
 * Principal text never holds `_`, so the text is unambiguous.
 */
import type { ClientKey } from './candid';
import { principalText } from './principal-cache';

/**
 * @returns `key` as `<principal text>_<nonce in decimal>`, e.g.
 *   `2vxsx-fae_42`
 */
export function clientKeyText(key: ClientKey): string {
  return `${principalText(key.client_principal)}_${key.client_nonce}`;
}
