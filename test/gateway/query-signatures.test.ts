/**
 * The gateway trusts a poll's reply only when a node of the canister's subnet signed it: a proxy
 * between the gateway and the replica that alters replies to `ws_get_messages` is caught.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cbor } from '@dfinity/agent';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { startReplica, type RunningReplica } from '@icws/backend-cdk';
import pingPong from '../../examples/ping-pong/canister';
import { IcClient } from '../../packages/gateway/src/ic-client';

type QueryReply = { status: string; reply?: { arg: Uint8Array }; signatures?: Array<{ identity: Uint8Array; signature: Uint8Array; timestamp: bigint }> };

let replica: RunningReplica;
let proxy: Server;
let proxyUrl: string;
/** How the proxy changes query replies; undefined relays them as they are. */
let alter: ((reply: QueryReply) => void) | undefined;

beforeAll(async () => {
  replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
  proxy = createServer((req, res) => {
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
