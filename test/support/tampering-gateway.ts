/**
 * A small IC WebSocket gateway for tests, built on @icws/protocol and @dfinity/agent, that can
 * misbehave on purpose: hooks see every canister message before it reaches its client (and may
 * change, drop, hold, repeat or swap messages) and every client call before it reaches the
 * canister (and may drop it). Without hooks it relays faithfully, so a test that passes through it
 * untouched shows that only the hook makes the difference.
 *
 * It polls `ws_get_messages` itself with its own identity, relays the clients' signed envelopes
 * unchanged to `/api/v2/canister/<id>/call`, and calls `ws_close` when a client's socket closes.
 */
import type { AddressInfo } from 'node:net';
import { HttpAgent, QueryResponseStatus } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import type { Principal } from '@icp-sdk/core/principal';
import {
  decodeClientRequest,
  decodeWebsocketMessage,
  decodeWsGetMessagesResult,
  decodeWsOpenArgs,
  encodeCanisterToClientMessage,
  encodeGatewayHandshake,
  encodeWsCloseArgs,
  encodeWsGetMessagesArgs,
  parseMessageKey,
  type CanisterToClientMessage,
  type ClientKey,
  type DecodedClientRequest,
} from '@icws/protocol';
import WebSocket, { WebSocketServer } from 'ws';

/** What a hook is told about a canister message. */
export interface ToClientInfo {
  /** Which client connection (0 for the first to open through this gateway). */
  session: number;
  sequenceNum: bigint;
  isServiceMessage: boolean;
}

/** What a hook is told about a client call. */
export interface ToCanisterInfo {
  session: number;
  method: string;
  /** 0 for the session's first call (its ws_open). */
  index: number;
}

/** Ways to misbehave. */
export interface RelayHooks {
  /** @returns the messages to send the client instead of `message` (`[]` drops it). */
  toClient?(message: CanisterToClientMessage, info: ToClientInfo): CanisterToClientMessage[];
  /** @returns whether to relay the call (false drops it). */
  toCanister?(request: DecodedClientRequest, info: ToCanisterInfo): boolean;
}

export interface TamperingGateway {
  readonly url: URL;
  readonly principal: Principal;
  hooks: RelayHooks;
  close(): Promise<void>;
}

interface ClientSession {
  session: number;
  socket: WebSocket;
  clientKey?: ClientKey;
  calls: number;
  relayChain: Promise<void>;
}

/** Starts a relay for `canisterId` on the replica at `icNetworkUrl`. */
export async function startTamperingGateway(options: {
  icNetworkUrl: string;
  canisterId: Principal;
  pollingIntervalMs?: number;
  hooks?: RelayHooks;
}): Promise<TamperingGateway> {
  const identity = Ed25519KeyIdentity.generate();
  const principal = identity.getPrincipal();
  const agent = await HttpAgent.create({ host: options.icNetworkUrl, identity, shouldFetchRootKey: true });
  const { canisterId } = options;
  const clients = new Map<string, ClientSession>();
  let sessions = 0;
  let nextNonce = 0n;
  let stopped = false;
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));

  const gateway: TamperingGateway = {
    url: new URL(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`),
    principal,
    hooks: options.hooks ?? {},
    async close() {
      stopped = true;
      clearTimeout(pollTimer);
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };

  server.on('connection', (socket) => {
    const client: ClientSession = { session: sessions++, socket, calls: 0, relayChain: Promise.resolve() };
    socket.on('error', () => undefined);
    socket.send(encodeGatewayHandshake({ gateway_principal: principal }));
    socket.on('message', (data: Buffer) => {
      let request: DecodedClientRequest;
      try {
        request = decodeClientRequest(data);
      } catch {
        return socket.close(1007, 'not a client request');
      }
      const method = request.envelope.content.method_name;
      if (method === 'ws_open' && client.clientKey === undefined) {
        client.clientKey = { client_principal: request.envelope.content.sender, client_nonce: decodeWsOpenArgs(request.envelope.content.arg).client_nonce };
        clients.set(keyOf(client.clientKey), client);
      }
      const info = { session: client.session, method, index: client.calls++ };
      if (gateway.hooks.toCanister?.(request, info) === false) return;
      // one call at a time per client, in order
      client.relayChain = client.relayChain.then(() => relay(request.envelopeCbor)).catch(() => socket.close(1011, 'relay failed'));
    });
    socket.on('close', () => {
      if (client.clientKey === undefined) return;
      clients.delete(keyOf(client.clientKey));
      if (!stopped) {
        void agent.call(canisterId, { methodName: 'ws_close', arg: encodeWsCloseArgs({ client_key: client.clientKey }) }).catch(() => undefined);
      }
    });
  });

  async function relay(envelope: Uint8Array): Promise<void> {
    const response = await fetch(new URL(`/api/v2/canister/${canisterId.toText()}/call`, options.icNetworkUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/cbor' },
      body: envelope as Uint8Array<ArrayBuffer>,
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`call refused: ${response.status}`);
  }

  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  async function poll(): Promise<void> {
    if (stopped) return;
    let again = false;
    try {
      const response = await agent.query(canisterId, { methodName: 'ws_get_messages', arg: encodeWsGetMessagesArgs({ nonce: nextNonce, max_messages: [] }) });
      if (response.status === QueryResponseStatus.Replied) {
        const result = decodeWsGetMessagesResult(response.reply.arg);
        if ('Ok' in result) {
          const { messages, cert, tree, is_end_of_queue } = result.Ok;
          for (const message of messages) {
            const { nonce } = parseMessageKey(message.key);
            if (nonce < nextNonce) continue;
            nextNonce = nonce + 1n;
            const client = clients.get(keyOf(message.client_key));
            if (client === undefined || client.socket.readyState !== WebSocket.OPEN) continue;
            const relayed: CanisterToClientMessage = { key: message.key, content: message.content, cert, tree };
            const decoded = decodeWebsocketMessage(message.content);
            const info = { session: client.session, sequenceNum: decoded.sequence_num, isServiceMessage: decoded.is_service_message };
            for (const frame of gateway.hooks.toClient?.(relayed, info) ?? [relayed]) client.socket.send(encodeCanisterToClientMessage(frame));
          }
          again = !is_end_of_queue;
        }
      }
    } catch {
      // the replica may be busy or closing; poll again later
    }
    if (!stopped) pollTimer = setTimeout(() => void poll(), again ? 0 : (options.pollingIntervalMs ?? 50));
  }
  void poll();
  return gateway;
}

function keyOf(key: ClientKey): string {
  return `${key.client_principal.toText()}:${key.client_nonce}`;
}

/** @returns a copy of `bytes` with one bit flipped at `at` (negative counts from the end). */
export function flipBit(bytes: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const index = at < 0 ? copy.length + at : at;
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}
