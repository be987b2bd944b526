/**
 * The browser bundle (`dist/icws-client.browser.js`, built by `npm run build`) in headless
 * Chromium: a plain page loads it with `<script type="module">`, fetches the root key, opens an
 * IcWebSocket through our gateway to the ping-pong canister and plays certified ping-pong.
 *
 * The page's server also passes `/api/*` to the replica, as a dev server does: the embedded
 * replica sends no CORS headers, so the page fetches the root key from its own origin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { idlFactorySource } from '@icws/backend-cdk';
import { chromium, type Browser } from 'playwright-core';
import { methods } from '../../examples/ping-pong/idl';
import { startStack, type Stack } from '../support/icws-stack';

const BUNDLE = join(__dirname, '../../packages/client-sdk/dist/icws-client.browser.js');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let stack: Stack;
let server: Server;
let pageUrl: string;
let browser: Browser;

function page(stack: Stack): string {
  return `<!doctype html>
<meta charset="utf-8">
<title>icws ping-pong</title>
<script type="module">
  import { IcWebSocket, createWsConfig, generateRandomIdentity } from '/icws-client.browser.js';
  const idlFactory = ${idlFactorySource(methods)};
  window.pingPong = async (rounds) => {
    const log = [];
    const ws = new IcWebSocket(${JSON.stringify(stack.gateway.url.href)}, undefined, createWsConfig({
      canisterId: ${JSON.stringify(stack.canisterId.toText())},
      idlFactory,
      identity: generateRandomIdentity(),
      networkUrl: location.origin,
    }));
    ws.onerror = (event) => log.push('error ' + event.error.code + ': ' + event.message);
    const closed = new Promise((resolve) => (ws.onclose = (event) => resolve(event.code + ' ' + event.wasClean)));
    const messages = ws[Symbol.asyncIterator]();
    await ws.opened;
    log.push('open ' + ws.readyState);
    log.push((await messages.next()).value.text);
    for (let round = 1; round <= rounds; round++) {
      ws.send({ text: 'browser ' + round, timestamp: BigInt(Date.now()) * 1000000n });
      log.push((await messages.next()).value.text);
    }
    ws.close();
    log.push('close ' + (await closed));
    return log;
  };
  window.ready = true;
</script>`;
}

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  stack = await startStack();
  const replica = stack.replica.url;
  server = createServer((req, res) => {
    if (req.url?.startsWith('/api/')) {
      const upstream = request(new URL(req.url, replica), { method: req.method, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      req.pipe(upstream);
      return;
    }
    if (req.url === '/icws-client.browser.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(BUNDLE));
    if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page(stack));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await stack?.close();
});

describe('the browser bundle in headless Chromium', () => {
  it('plays 20 certified ping-pong rounds, then closes cleanly', async () => {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(err.message));
    await tab.goto(pageUrl);
    await tab.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const log = await tab.evaluate((rounds) => (window as unknown as { pingPong(n: number): Promise<string[]> }).pingPong(rounds), 20);
    expect(log).toEqual(['open 1', 'ping', ...Array.from({ length: 20 }, (_, i) => `browser ${i + 1} ping`), 'close 1000 true']);
    expect(errors).toEqual([]);
    await tab.close();
  }, 60_000);
});
