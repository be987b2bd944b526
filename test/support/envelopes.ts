import { Cbor, Expiry, requestIdOf, type SignIdentity } from '@icp-sdk/core/agent';
import type { Identity } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';

/** Fields of a request's content; `sender` and `ingress_expiry` default from the identity and now. */
export interface ContentFields {
  request_type: 'call' | 'query' | 'read_state';
  canister_id?: Principal;
  method_name?: string;
  arg?: Uint8Array;
  paths?: Uint8Array[][];
  sender?: Principal;
  ingress_expiry?: Expiry | bigint;
  nonce?: Uint8Array;
}

/**
 * Signs a request the way `HttpAgent` does (its identity's `transformRequest`) and returns the
 * CBOR body, so tests can send exactly what agents send — or tamper with it first.
 */
export async function signedEnvelope(
  identity: Identity | SignIdentity,
  fields: ContentFields,
  tamper?: (envelope: Record<string, unknown>) => void,
): Promise<Uint8Array> {
  const content: Record<string, unknown> = {
    ...fields,
    sender: fields.sender ?? identity.getPrincipal(),
    ingress_expiry: fields.ingress_expiry ?? Expiry.fromDeltaInMilliseconds(4 * 60 * 1000),
  };
  for (const key of Object.keys(content)) if (content[key] === undefined) delete content[key];
  const transformed = (await identity.transformRequest({ request: {}, endpoint: 'call', body: content } as never)) as {
    body: Record<string, unknown>;
  };
  tamper?.(transformed.body);
  return Cbor.encode(transformed.body);
}

/** @returns the request id agents compute for `fields`. */
export function requestIdFor(fields: Record<string, unknown>): Uint8Array {
  return requestIdOf(fields);
}

/** POSTs a CBOR body to the replica and returns status and body. */
export async function post(url: URL, path: string, body: Uint8Array): Promise<{ status: number; text: string; bytes: Uint8Array; errorCode: string | null }> {
  const response = await fetch(new URL(path, url), { method: "POST", headers: { "content-type": "application/cbor" }, body: new Uint8Array(body) as Uint8Array<ArrayBuffer> });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, text: new TextDecoder().decode(bytes), bytes, errorCode: response.headers.get('x-icws-error-code') };
}

export { Principal };
