/**
 * Certificate checks of the browser bundle (`npm run build`) in headless Chromium: by default in a
 * Web Worker, whose file (with mcl-wasm) the page fetches only when it makes a socket;
 * with `blsVerifier: 'wasm'` on the page, from a chunk it fetches then; with `'noble'` neither.
 * Each path refuses a certificate a gateway changed, and a page whose server lacks the worker
 * file still checks its certificates.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { idlFactorySource } from '@icws/backend-cdk';
import type { Browser } from 'playwright-core';
import { methods } from '../../../examples/ping-pong/idl';
import { CLIENT_DIST, callInPage, launchChromium, startPageServer, type PageServer } from '../../../test/support/browser-page';
import { startStack, type Stack } from '../../../test/support/icws-stack';
import { flipBit, startTamperingGateway, type TamperingGateway } from '../../../test/support/tampering-gateway';

let stack: Stack;
let tampering: TamperingGateway;
let server: PageServer;
let browser: Browser;
/** Whether the server answers 404 for the worker file. */
let hideWorker = false;

const page = (stack: Stack): string => `<!doctype html>
<meta charset="utf-8">
<script type="module">
  import { IcWebSocket, createWsConfig, generateRandomIdentity } from '/icws-client.browser.js';
  const idlFactory = ${idlFactorySource(methods)};
  window.pingPong = async (gateway, blsVerifier) => {
    const log = [];
    const ws = new IcWebSocket(gateway, undefined, createWsConfig({
      canisterId: ${JSON.stringify(stack.canisterId.toText())}, idlFactory, identity: generateRandomIdentity(),
      networkUrl: location.origin, blsVerifier,
    }));
    const closed = new Promise((resolve) => (ws.onclose = (event) => resolve(event)));
    ws.onmessage = (event) => {
      log.push(event.data.text);
      if (event.data.text === 'ping') ws.send({ text: 'browser', timestamp: 0n });
      else ws.close();
    };
    const event = await closed;
    log.push('close ' + event.code + (event.error ? ' ' + event.error.code : ''));
    return log;
  };
  window.ready = true;
</script>`;

beforeAll(async () => {
  if (!existsSync(join(CLIENT_DIST, 'icws-bls-worker.js'))) throw new Error(`${CLIENT_DIST}/icws-bls-worker.js is missing: run \`npm run build\` first`);
  stack = await startStack();
  tampering = await startTamperingGateway({
    icNetworkUrl: stack.replica.url.origin,
    canisterId: stack.canisterId,
    hooks: { toClient: (message, info) => [info.sequenceNum === 2n ? { ...message, cert: flipBit(message.cert, -1) } : message] },
  });
  server = await startPageServer({ replicaUrl: stack.replica.url, html: page(stack), serves: (path) => !(hideWorker && path === '/icws-bls-worker.js') });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await tampering?.close();
  await stack?.close();
});

beforeEach(() => {
  server.requested.length = 0;
  hideWorker = false;
});

/** Plays one round in a fresh page; @returns its log and the files it fetched. */
async function pingPong(blsVerifier: string, gateway: string = stack.gateway.url.href): Promise<{ log: string[]; fetched: string[] }> {
  const log = await callInPage<string[]>(browser, server.url, 'pingPong', gateway, blsVerifier);
  return { log, fetched: server.requested.filter((path) => path.endsWith('.js')).map((path) => path.replace(/^(\/browser\/.+)-[\w-]{8}\.js$/, '$1-….js')) };
}

describe('the browser bundle checks certificates', () => {
  it('in a Web Worker by default, fetching the worker (and the WebAssembly in it) only then', async () => {
    expect(await pingPong('worker')).toEqual({ log: ['ping', 'browser ping', 'close 1000'], fetched: ['/icws-client.browser.js', '/icws-bls-worker.js'] });
  });

  it("on the page's thread with mcl-wasm, fetching its chunk only then", async () => {
    expect(await pingPong('wasm')).toEqual({ log: ['ping', 'browser ping', 'close 1000'], fetched: ['/icws-client.browser.js', '/browser/mcl-wasm-….js'] });
  });

  it('with noble, fetching nothing more', async () => {
    expect(await pingPong('noble')).toEqual({ log: ['ping', 'browser ping', 'close 1000'], fetched: ['/icws-client.browser.js'] });
  });

  it('on the page with mcl-wasm when the server does not have the worker file', async () => {
    hideWorker = true;
    expect(await pingPong('worker')).toEqual({
      log: ['ping', 'browser ping', 'close 1000'],
      fetched: ['/icws-client.browser.js', '/icws-bls-worker.js', '/browser/mcl-wasm-….js'],
    });
  });

  it.each(['worker', 'wasm', 'noble'])('and with %s refuses a certificate that a gateway changed', async (blsVerifier) => {
    // the open message passes; the next message's certificate has its last bit flipped
    const { log } = await pingPong(blsVerifier, tampering.url.href);
    expect(log).toEqual(['close 4002 ICWS_ERR_INVALID_CERTIFICATE']);
  });
});
