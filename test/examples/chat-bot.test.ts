/**
 * The chat bot records every message of the room in SQLite exactly once, across a forced
 * reconnection (the gateway restarts; the bot resumes its session and gets what it missed).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplica, type RunningReplica } from '@icws/replica';
import { createWsConfig, generateRandomIdentity, IcWebSocket } from '@icws/client-sdk';
import { startGateway, type RunningGateway } from '@icws/gateway';
import { ChatRecorder } from '../../examples/chat-bot/recorder';
import chat from '../../examples/chat/canister';
import { chatMessage, idlFactory } from '../../examples/chat/idl';

let replica: RunningReplica;
let gateway: RunningGateway;
const gatewayDataDir = mkdtempSync(join(tmpdir(), 'icws-bot-gw-'));

const startGatewayOn = (port: number) =>
  startGateway({ gatewayAddress: `127.0.0.1:${port}`, icNetworkUrl: replica.url.origin, prometheusEndpoint: null, dataDir: gatewayDataDir, logLevel: 'silent' });

beforeAll(async () => {
  replica = await startReplica({ port: 0, canisters: [{ name: 'chat', module: chat }], log: () => undefined });
  gateway = await startGatewayOn(0);
});
afterAll(async () => {
  await gateway.close();
  await replica.close();
});

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function participant(): Promise<IcWebSocket> {
  const socket = new IcWebSocket(gateway.url, undefined, createWsConfig({ canisterId: replica.canisterIds.chat, idlFactory, identity: generateRandomIdentity(), networkUrl: replica.url.origin }));
  await socket.opened;
  return socket;
}

test('stores every chat message once across a forced reconnect', async () => {
  const bot = new ChatRecorder({
    gatewayUrl: gateway.url.href,
    networkUrl: replica.url.origin,
    canisterId: replica.canisterIds.chat,
    databasePath: join(mkdtempSync(join(tmpdir(), 'icws-bot-')), 'chat.sqlite'),
  });
  await bot.socket.opened;
  const texts = () => bot.messages().filter((m) => m.kind === 'Message').map((m) => m.text);

  const alice = await participant();
  for (const text of ['one', 'two', 'three']) alice.send(chatMessage(text));
  await until(() => texts().length === 3, 'the first three messages');

  // Force a reconnect: the gateway goes away and comes back on the same address.
  const port = Number(gateway.url.port);
  await gateway.close();
  gateway = await startGatewayOn(port);
  await until(() => bot.sessions >= 2, 'the bot to reconnect');

  const bob = await participant();
  for (const text of ['four', 'five']) bob.send(chatMessage(text));
  await until(() => texts().length >= 5, 'the last two messages');
  await new Promise((resolve) => setTimeout(resolve, 300));

  expect(texts()).toEqual(['one', 'two', 'three', 'four', 'five']);
  // The bot resumed its session: each message came once, none was replayed.
  expect(bot.received).toBe(bot.messages().length);
  const ids = bot.messages().map((m) => m.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(bot.messages().filter((m) => m.kind === 'Joined').length).toBeGreaterThanOrEqual(3);
  bob.close();
  alice.close();
  bot.close();
});
