/**
 * The browser bundle (`dist/icws-client.browser.js`, built by `npm run build`) in headless
 * Chromium: a plain page loads it with `<script type="module">`, fetches the root key, opens an
 * IcWebSocket through our gateway to the ping-pong canister and plays certified ping-pong.
 *
 * The page's server (test/support/browser-page.ts) also passes `/api/*` to the replica, as a dev
 * server does, and serves the verifier's worker beside the bundle.
 */
import { idlFactorySource } from '@icws/backend-cdk';
import type { Browser } from 'playwright-core';
import { methods } from '../../examples/ping-pong/idl';
import { callInPage, launchChromium, startPageServer, type PageServer } from '../support/browser-page';
import { startStack, type Stack } from '../support/icws-stack';

let stack: Stack;
let server: PageServer;
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
  stack = await startStack();
  server = await startPageServer({ replicaUrl: stack.replica.url, html: page(stack) });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stack?.close();
});

describe('the browser bundle in headless Chromium', () => {
  it('plays 20 certified ping-pong rounds, then closes cleanly', async () => {
    const log = await callInPage<string[]>(browser, server.url, 'pingPong', 20);
    expect(log).toEqual(['open 1', 'ping', ...Array.from({ length: 20 }, (_, i) => `browser ${i + 1} ping`), 'close 1000 true']);
  }, 60_000);
});
