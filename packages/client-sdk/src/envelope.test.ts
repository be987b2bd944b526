import { IC_REQUEST_DOMAIN_SEPARATOR, requestIdOf, type SignIdentity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { decodeClientRequest } from '@icws/protocol';
import { EnvelopeSigner, INGRESS_EXPIRY_MS } from './envelope';
import { IcWebSocketError } from './errors';
import { generateRandomIdentity } from './identity';

const canisterId = Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai');
const arg = Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0, 0);

function rawKey(der: Uint8Array): Uint8Array {
  return der.subarray(der.length - 32);
}

describe('EnvelopeSigner', () => {
  describe('#sign', () => {
    it('signs a call as HttpAgent does: request id over the content, Ed25519 signature with the domain separator', async () => {
      const identity = Ed25519KeyIdentity.generate();
      const before = BigInt(Date.now()) * 1_000_000n;
      const frame = await new EnvelopeSigner(identity, canisterId).sign('ws_message', arg);
      const { envelope } = decodeClientRequest(frame);
      const { content } = envelope;
      expect(content.request_type).toBe('call');
      expect(content.canister_id.toText()).toBe(canisterId.toText());
      expect(content.method_name).toBe('ws_message');
      expect(content.arg).toEqual(arg);
      expect(content.sender.toText()).toBe(identity.getPrincipal().toText());
      expect(content.nonce).toHaveLength(16);
      // Expiry rounds down to the minute: between 4 and 5 minutes ahead
      expect(content.ingress_expiry).toBeGreaterThan(before + BigInt(INGRESS_EXPIRY_MS - 60_000) * 1_000_000n);
      expect(content.ingress_expiry).toBeLessThanOrEqual(before + BigInt(INGRESS_EXPIRY_MS + 1_000) * 1_000_000n);
      expect(envelope.sender_pubkey).toEqual(identity.getPublicKey().toDer());
      const message = new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...requestIdOf(content as unknown as Record<string, unknown>)]);
      expect(Ed25519KeyIdentity.verify(envelope.sender_sig!, message, rawKey(envelope.sender_pubkey!))).toBe(true);
      expect(envelope.sender_delegation).toBeUndefined();
    });

    it('makes every envelope distinct (nonce)', async () => {
      const signer = new EnvelopeSigner(Ed25519KeyIdentity.generate(), canisterId);
      const [a, b] = await Promise.all([signer.sign('ws_message', arg), signer.sign('ws_message', arg)]);
      expect(decodeClientRequest(a).envelope.content.nonce).not.toEqual(decodeClientRequest(b).envelope.content.nonce);
    });

    it('gives each of many envelopes a nonce of its own, 16 random bytes', async () => {
      const signer = new EnvelopeSigner(Ed25519KeyIdentity.generate(), canisterId);
      const frames = await Promise.all(Array.from({ length: 300 }, () => signer.sign('ws_message', arg)));
      const nonces = frames.map((frame) => decodeClientRequest(frame).envelope.content.nonce!);
      expect(nonces.every((nonce) => nonce.length === 16)).toBe(true);
      expect(new Set(nonces.map((nonce) => Buffer.from(nonce).toString('hex'))).size).toBe(300);
    });

    it("signs with the SDK's random identity as with any SignIdentity: the signature verifies over the request id", async () => {
      const identity = generateRandomIdentity();
      const { envelope } = decodeClientRequest(await new EnvelopeSigner(identity, canisterId).sign('ws_message', arg));
      expect(envelope.sender_pubkey).toEqual(identity.getPublicKey().toDer());
      const message = new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...requestIdOf(envelope.content as unknown as Record<string, unknown>)]);
      expect(Ed25519KeyIdentity.verify(envelope.sender_sig!, message, rawKey(envelope.sender_pubkey!))).toBe(true);
    });

    it('carries the delegation chain of a DelegationIdentity, signed by the session key', async () => {
      const root = Ed25519KeyIdentity.generate();
      const session = Ed25519KeyIdentity.generate();
      const expiration = new Date(Date.now() + 60_000);
      const chain = await DelegationChain.create(root, session.getPublicKey(), expiration, { targets: [canisterId] });
      const identity = DelegationIdentity.fromDelegation(session, chain);
      const { envelope } = decodeClientRequest(await new EnvelopeSigner(identity, canisterId).sign('ws_open', arg));
      expect(envelope.content.sender.toText()).toBe(root.getPrincipal().toText());
      expect(envelope.sender_pubkey).toEqual(root.getPublicKey().toDer());
      expect(envelope.sender_delegation).toHaveLength(1);
      const [{ delegation, signature }] = envelope.sender_delegation!;
      expect(delegation.pubkey).toEqual(session.getPublicKey().toDer());
      expect(delegation.expiration).toBe(BigInt(expiration.getTime()) * 1_000_000n);
      expect(delegation.targets?.map((t) => t.toText())).toEqual([canisterId.toText()]);
      expect(signature).toEqual(chain.delegations[0]!.signature);
      const message = new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...requestIdOf(envelope.content as unknown as Record<string, unknown>)]);
      expect(Ed25519KeyIdentity.verify(envelope.sender_sig!, message, rawKey(session.getPublicKey().toDer()))).toBe(true);
    });

    it('reports an identity that fails to sign', async () => {
      const broken = Ed25519KeyIdentity.generate() as SignIdentity;
      broken.sign = () => Promise.reject(new Error('the hardware key was unplugged'));
      const err = await new EnvelopeSigner(broken, canisterId).sign('ws_message', arg).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IcWebSocketError);
      expect((err as IcWebSocketError).code).toBe('ICWS_ERR_SIGNING_FAILED');
      expect((err as IcWebSocketError).message).toBe('the identity failed to sign a ws_message envelope: the hardware key was unplugged');
    });
  });
});
