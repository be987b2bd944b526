import { Cbor, Expiry, type Identity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { EnvelopeValidator } from './envelope-validator';
import { InThreadSignatureVerifier, type SignatureItem, type SignatureVerifier } from './signature-verifier';

const canister = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
const otherCanister = Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai');
const MINUTE_NS = 60_000_000_000n;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** A signed query body, as an agent would post it. */
async function body(identity: Identity, expiry = Expiry.fromDeltaInMilliseconds(4 * 60_000)): Promise<Uint8Array> {
  const content = {
    request_type: 'query',
    canister_id: canister,
    method_name: 'ws_get_messages',
    arg: Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0, 0),
    sender: identity.getPrincipal(),
    ingress_expiry: expiry,
  };
  const { body: envelope } = (await identity.transformRequest({ request: {}, endpoint: 'query', body: content } as never)) as { body: unknown };
  return Cbor.encode(envelope);
}

/** An in-thread verifier that counts the signatures it is asked to check. */
function counting(): SignatureVerifier & { checked: number } {
  const inner = new InThreadSignatureVerifier();
  const verifier = {
    checked: 0,
    verify(items: readonly SignatureItem[]) {
      verifier.checked += items.length;
      return inner.verify(items);
    },
  };
  return verifier;
}

const query = { requestType: 'query' as const, effectiveCanisterId: canister };

describe('EnvelopeValidator', () => {
  describe('#validate', () => {
    it('validates a body once and answers the same bytes again from its cache', async () => {
      const verifier = counting();
      const validator = new EnvelopeValidator(verifier);
      const bytes = await body(Ed25519KeyIdentity.generate());
      const first = await validator.validate(bytes, query, nowNs());
      const again = await validator.validate(Uint8Array.from(bytes), query, nowNs());
      expect(again).toBe(first);
      expect(verifier.checked).toBe(1);
    });

    it('refuses a remembered body once its ingress expiry has passed', async () => {
      const validator = new EnvelopeValidator(new InThreadSignatureVerifier());
      const bytes = await body(Ed25519KeyIdentity.generate());
      await validator.validate(bytes, query, nowNs());
      await expect(validator.validate(bytes, query, nowNs() + 10n * MINUTE_NS)).rejects.toMatchObject({ code: 'ICWS_ERR_EXPIRED', status: 400 });
    });

    it('refuses a remembered body once a delegation it carries has expired', async () => {
      const validator = new EnvelopeValidator(new InThreadSignatureVerifier());
      const session = Ed25519KeyIdentity.generate();
      const chain = await DelegationChain.create(Ed25519KeyIdentity.generate(), session.getPublicKey(), new Date(Date.now() + 60_000));
      const bytes = await body(DelegationIdentity.fromDelegation(session, chain));
      await validator.validate(bytes, query, nowNs());
      await expect(validator.validate(bytes, query, nowNs() + 2n * MINUTE_NS)).rejects.toMatchObject({ code: 'ICWS_ERR_DELEGATION_EXPIRED', status: 403 });
    });

    it('does not answer a body posted to another endpoint or canister from the cache', async () => {
      const validator = new EnvelopeValidator(new InThreadSignatureVerifier());
      const bytes = await body(Ed25519KeyIdentity.generate());
      await validator.validate(bytes, query, nowNs());
      await expect(validator.validate(bytes, { requestType: 'call', effectiveCanisterId: canister }, nowNs())).rejects.toMatchObject({
        code: 'ICWS_ERR_WRONG_REQUEST_TYPE',
      });
      await expect(validator.validate(bytes, { requestType: 'query', effectiveCanisterId: otherCanister }, nowNs())).rejects.toMatchObject({
        code: 'ICWS_ERR_CANISTER_MISMATCH',
      });
    });

    it('does not let a remembered body vouch for a tampered copy', async () => {
      const validator = new EnvelopeValidator(new InThreadSignatureVerifier());
      const bytes = await body(Ed25519KeyIdentity.generate());
      await validator.validate(bytes, query, nowNs());
      const tampered = Uint8Array.from(bytes);
      const method = Buffer.from(tampered).indexOf('ws_get_messages');
      tampered[method] = 'W'.charCodeAt(0);
      await expect(validator.validate(tampered, query, nowNs())).rejects.toMatchObject({ code: 'ICWS_ERR_BAD_SIGNATURE', status: 403 });
    });

    it('validates bodies above maxCachedBodyBytes every time', async () => {
      const verifier = counting();
      const validator = new EnvelopeValidator(verifier, { maxCachedBodyBytes: 16 });
      const bytes = await body(Ed25519KeyIdentity.generate());
      await validator.validate(bytes, query, nowNs());
      await validator.validate(bytes, query, nowNs());
      expect(verifier.checked).toBe(2);
    });

    it('does not remember update calls unless asked to', async () => {
      const verifier = counting();
      const call = { requestType: 'call' as const, effectiveCanisterId: canister };
      const identity = Ed25519KeyIdentity.generate();
      const content = {
        request_type: 'call',
        canister_id: canister,
        method_name: 'ws_message',
        arg: new Uint8Array(0),
        sender: identity.getPrincipal(),
        ingress_expiry: Expiry.fromDeltaInMilliseconds(60_000),
        nonce: Uint8Array.of(1),
      };
      const { body: envelope } = (await identity.transformRequest({ request: {}, endpoint: 'call', body: content } as never)) as { body: unknown };
      const bytes = Cbor.encode(envelope);
      const byDefault = new EnvelopeValidator(verifier);
      await byDefault.validate(bytes, call, nowNs());
      await byDefault.validate(bytes, call, nowNs());
      expect(verifier.checked).toBe(2);
      const remembering = new EnvelopeValidator(verifier, { cachedRequestTypes: ['call'] });
      await remembering.validate(bytes, call, nowNs());
      await remembering.validate(bytes, call, nowNs());
      expect(verifier.checked).toBe(3);
    });

    it('does not remember refusals', async () => {
      const verifier = counting();
      const validator = new EnvelopeValidator(verifier);
      const bytes = await body(Ed25519KeyIdentity.generate());
      const wrongCanister = { requestType: 'query' as const, effectiveCanisterId: otherCanister };
      await expect(validator.validate(bytes, wrongCanister, nowNs())).rejects.toMatchObject({ code: 'ICWS_ERR_CANISTER_MISMATCH' });
      await expect(validator.validate(bytes, query, nowNs())).resolves.toMatchObject({ content: { method_name: 'ws_get_messages' } });
      expect(verifier.checked).toBe(1);
    });
  });
});
