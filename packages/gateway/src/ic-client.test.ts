/**
 * IcClient's relay against a local HTTP server standing in for the replica's `call` endpoints:
 * each call is tried once (retries belong to the relay queue), and answers map onto outcomes and
 * error codes. Polls are covered against the real replica in test/gateway/polls.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { IcClient } from './ic-client';
import { CANISTER_ID } from './testing/frames';

let server: Server;
let url: string;
let answer: (req: IncomingMessage, res: ServerResponse) => void;
const paths: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(req.url!);
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const clients: IcClient[] = [];
beforeEach(() => {
  paths.length = 0;
});
afterEach(() => {
  for (const ic of clients.splice(0)) ic.close();
});

function client(at = url): IcClient {
  const ic = IcClient.create(at, Ed25519KeyIdentity.generate());
  clients.push(ic);
  return ic;
}

const envelope = Uint8Array.of(0xd9, 0xd9, 0xf7, 0xa0);

describe('IcClient', () => {
  describe('#relayCall', () => {
    it('posts the envelope to the v3 call endpoint of the canister', async () => {
      answer = (_, res) => void res.writeHead(202).end();
      await expect(client().relayCall(CANISTER_ID, envelope)).resolves.toEqual({ status: 'accepted' });
      expect(paths).toEqual([`/api/v3/canister/${CANISTER_ID.toText()}/call`]);
    });

    it('falls back to the v2 endpoint for good when v3 is missing', async () => {
      answer = (req, res) => void res.writeHead(req.url!.includes('/v3/') ? 404 : 202).end();
      const ic = client();
      await ic.relayCall(CANISTER_ID, envelope);
      await ic.relayCall(CANISTER_ID, envelope);
      expect(paths.map((p) => p.split('/')[2])).toEqual(['v3', 'v2', 'v2']);
    });

    it('tries a call once when the replica fails, as ICWS_ERR_REPLICA_UNAVAILABLE', async () => {
      answer = (_, res) => void res.writeHead(503).end('overloaded');
      await expect(client().relayCall(CANISTER_ID, envelope)).rejects.toMatchObject({ code: 'ICWS_ERR_REPLICA_UNAVAILABLE', message: 'replica answered 503: overloaded' });
      expect(paths).toHaveLength(1);
    });

    it('names a replica that refuses the call as overloaded ICWS_ERR_REPLICA_OVERLOADED, once', async () => {
      answer = (_, res) => void res.writeHead(503, { 'x-icws-error-code': 'ICWS_ERR_REPLICA_OVERLOADED' }).end('busy (ICWS_ERR_REPLICA_OVERLOADED)');
      await expect(client().relayCall(CANISTER_ID, envelope)).rejects.toMatchObject({ code: 'ICWS_ERR_REPLICA_OVERLOADED', message: 'replica answered 503: busy (ICWS_ERR_REPLICA_OVERLOADED)' });
      answer = (_, res) => void res.writeHead(429).end('rate limited');
      await expect(client().relayCall(CANISTER_ID, envelope)).rejects.toMatchObject({ code: 'ICWS_ERR_REPLICA_OVERLOADED' });
      expect(paths).toHaveLength(2);
    });

    it('names a refused envelope ICWS_ERR_ENVELOPE_REFUSED, quoting the replica', async () => {
      answer = (_, res) => void res.writeHead(400).end('invalid signature');
      await expect(client().relayCall(CANISTER_ID, envelope)).rejects.toMatchObject({ code: 'ICWS_ERR_ENVELOPE_REFUSED', message: 'replica answered 400: invalid signature' });
    });

    it('names an unreachable replica ICWS_ERR_REPLICA_UNAVAILABLE, once', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      await expect(client(`http://127.0.0.1:${port}`).relayCall(CANISTER_ID, envelope)).rejects.toMatchObject({
        code: 'ICWS_ERR_REPLICA_UNAVAILABLE',
        message: expect.stringMatching(/^cannot reach the replica at http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\)$/),
      });
    });
  });
});
