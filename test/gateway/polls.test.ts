/**
 * The gateway's polls: signed by the gateway, and trusted only when a node of the canister's subnet
 * signed the reply; a proxy between the gateway and the replica that alters replies to
 * `ws_get_messages` is caught.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cbor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { decodeWsGetMessagesArgs, encodeWsOpenArgs } from '@icws/protocol';
import { startReplica, type RunningReplica } from '@icws/replica';
import pingPong from '../../examples/ping-pong/canister';
import { IcClient } from '../../packages/gateway/src/ic-client';
import { signedEnvelope } from '../support/envelopes';

type QueryReply = { status: string; reply?: { arg: Uint8Array }; signatures?: Array<{ identity: Uint8Array; signature: Uint8Array; timestamp: bigint }> };

let replica: RunningReplica;
let proxy: Server;
let proxyUrl: string;
/** How the proxy changes query replies; undefined relays them as they are. */
let alter: ((reply: QueryReply) => void) | undefined;
/** A status and body the proxy answers queries with instead of relaying them. */
let refuse: { status: number; body: string } | undefined;
/** The query bodies the proxy saw. */
const queryBodies: Buffer[] = [];

beforeAll(async () => {
  replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
  proxy = createServer((req, res) => {
    if (req.url!.endsWith('/query')) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => queryBodies.push(Buffer.concat(chunks)));
      if (refuse !== undefined) return void req.on('end', () => res.writeHead(refuse!.status).end(refuse!.body));
    }
    const upstream = request(new URL(req.url!, replica.url), { method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        let body = Buffer.concat(chunks);
        if (alter !== undefined && req.url!.endsWith('/query') && answer.statusCode === 200) {
          const reply = Cbor.decode<QueryReply>(body);
          alter(reply);
          body = Buffer.from(Cbor.encode(reply));
        }
        res.writeHead(answer.statusCode!, { 'content-type': 'application/cbor', 'content-length': body.length }).end(body);
      });
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await replica.close();
});
const clients: IcClient[] = [];
afterEach(() => {
  alter = undefined;
  refuse = undefined;
  queryBodies.length = 0;
  for (const ic of clients.splice(0)) ic.close();
});

function client(): IcClient {
  const ic = IcClient.create(proxyUrl, Ed25519KeyIdentity.generate());
  clients.push(ic);
  return ic;
}

describe('IcClient', () => {
  describe('#getMessages', () => {
    it('accepts a reply signed by a node of the subnet', async () => {
      const result = await client().getMessages(replica.canisterIds.ping_pong, 0n);
      expect(result.messages).toEqual([]);
      expect(result.is_end_of_queue).toBe(true);
    });

    it('refuses a reply whose content was changed after the node signed it', async () => {
      alter = (reply) => {
        reply.reply!.arg = Uint8Array.from([...reply.reply!.arg.slice(0, -1), reply.reply!.arg.at(-1)! ^ 1]);
      };
      await expect(client().getMessages(replica.canisterIds.ping_pong, 0n)).rejects.toMatchObject({
        code: 'ICWS_ERR_QUERY_SIGNATURE',
        message: expect.stringMatching(/does not match the reply/),
      });
    });

    it('refuses a reply signed by someone who is not a node of the subnet', async () => {
      alter = (reply) => {
        reply.signatures![0].identity = Ed25519KeyIdentity.generate().getPrincipal().toUint8Array();
      };
      await expect(client().getMessages(replica.canisterIds.ping_pong, 0n)).rejects.toMatchObject({
        code: 'ICWS_ERR_QUERY_SIGNATURE',
        message: expect.stringMatching(/which is not a node of the canister's subnet/),
      });
    });

    it('sends the same bytes for polls of one nonce within a minute, so the replica can remember them', async () => {
      const ic = client();
      await ic.getMessages(replica.canisterIds.ping_pong, 7n);
      await ic.getMessages(replica.canisterIds.ping_pong, 7n);
      const [first, second] = queryBodies.map((body) => Cbor.decode<{ content: { ingress_expiry: bigint } }>(body).content.ingress_expiry);
      const expiryStepNs = BigInt(second) - BigInt(first);
      // Unless the two polls straddle a minute, in which case the expiry moves on by exactly one.
      if (expiryStepNs === 0n) expect(queryBodies[1]).toEqual(queryBodies[0]);
      else expect(expiryStepNs).toBe(60_000_000_000n);
    });

    it('signs a repeated poll once and checks a reply equal to the last one once', async () => {
      const ic = client();
      for (let i = 0; i < 5; i++) expect((await ic.getMessages(replica.canisterIds.ping_pong, 7n)).messages).toEqual([]);
      // Once each, unless the polls straddle a minute (a new expiry) or the replica's second (a new signature).
      expect(ic.pollCounters.envelopesSigned).toBeLessThanOrEqual(2);
      expect(ic.pollCounters.repliesChecked).toBeLessThanOrEqual(2);
      await ic.getMessages(replica.canisterIds.ping_pong, 8n);
      expect(ic.pollCounters.envelopesSigned).toBeGreaterThanOrEqual(2);
    });

    it('checks a reply that carries messages each time it comes, remembering only replies without any', async () => {
      const gatewayIdentity = Ed25519KeyIdentity.generate();
      const ic = IcClient.create(proxyUrl, gatewayIdentity);
      clients.push(ic);
      const canisterId = replica.canisterIds.ping_pong;
      const arg = encodeWsOpenArgs({ client_nonce: 1n, gateway_principal: gatewayIdentity.getPrincipal() });
      const envelope = await signedEnvelope(Ed25519KeyIdentity.generate(), { request_type: 'call', canister_id: canisterId, method_name: 'ws_open', arg, nonce: Uint8Array.of(1) });
      await ic.relayCall(canisterId, envelope);
      for (let i = 0; i < 3; i++) expect((await ic.getMessages(canisterId, 0n)).messages.length).toBeGreaterThan(0);
      expect(ic.pollCounters.repliesChecked).toBe(3);
    });

    it('checks a reply that differs from the last one it checked, and refuses it when altered', async () => {
      const ic = client();
      await ic.getMessages(replica.canisterIds.ping_pong, 0n);
      alter = (reply) => {
        reply.reply!.arg = Uint8Array.from([...reply.reply!.arg.slice(0, -1), reply.reply!.arg.at(-1)! ^ 1]);
      };
      await expect(ic.getMessages(replica.canisterIds.ping_pong, 0n)).rejects.toMatchObject({ code: 'ICWS_ERR_QUERY_SIGNATURE' });
    });

    it('asks for a count with the optional max_messages field only when given one', async () => {
      const ic = client();
      await ic.getMessages(replica.canisterIds.ping_pong, 0n);
      await ic.getMessages(replica.canisterIds.ping_pong, 0n, 500n);
      const args = queryBodies.map((body) => Cbor.decode<{ content: { arg: Uint8Array } }>(body).content.arg);
      expect(IDL.decode([IDL.Record({ nonce: IDL.Nat64 })], Uint8Array.from(args[0]))).toEqual([{ nonce: 0n }]);
      expect(decodeWsGetMessagesArgs(args[0])).toEqual({ nonce: 0n, max_messages: [] });
      expect(decodeWsGetMessagesArgs(args[1])).toEqual({ nonce: 0n, max_messages: [500n] });
    });

    it('names the status and reason when the replica refuses the poll', async () => {
      refuse = { status: 400, body: 'ingress_expiry is too far in the future' };
      await expect(client().getMessages(replica.canisterIds.ping_pong, 0n)).rejects.toMatchObject({
        code: 'ICWS_ERR_POLL_REJECTED',
        message: 'replica answered the ws_get_messages query with 400: ingress_expiry is too far in the future',
      });
      refuse = { status: 503, body: 'overloaded' };
      await expect(client().getMessages(replica.canisterIds.ping_pong, 0n)).rejects.toMatchObject({ code: 'ICWS_ERR_REPLICA_UNAVAILABLE' });
    });

    it('refuses a reply without node signatures', async () => {
      alter = (reply) => {
        delete reply.signatures;
      };
      await expect(client().getMessages(replica.canisterIds.ping_pong, 0n)).rejects.toMatchObject({
        code: 'ICWS_ERR_QUERY_SIGNATURE',
        message: expect.stringMatching(/carries no node signature/),
      });
    });
  });
});
