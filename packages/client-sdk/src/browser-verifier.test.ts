/**
 * Certificate checks of the browser bundle (`npm run build`) in headless Chromium: by default in a
 * Web Worker, whose file (with mcl-wasm) the page fetches only when it makes a socket;
 * with `blsVerifier: 'wasm'` on the page, from a chunk it fetches then; with `'noble'` neither.
 * Each path refuses a certificate a gateway changed, and a page whose server lacks the worker
 * file still checks its certificates.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { idlFactorySource } from '@icws/backend-cdk';
import { chromium, type Browser } from 'playwright-core';
import { methods } from '../../../examples/ping-pong/idl';
import { startStack, type Stack } from '../../../test/support/icws-stack';
import { flipBit, startTamperingGateway, type TamperingGateway } from '../../../test/support/tampering-gateway';

const DIST = join(__dirname, '../dist');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let stack: Stack;
let tampering: TamperingGateway;
let server: Server;
let pageUrl: string;
let browser: Browser;
/** Paths the page's server was asked for, since the last reset. */
let requested: string[] = [];
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
  if (!existsSync(join(DIST, 'icws-bls-worker.js'))) throw new Error(`${DIST}/icws-bls-worker.js is missing: run \`npm run build\` first`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  stack = await startStack();
  tampering = await startTamperingGateway({
    icNetworkUrl: stack.replica.url.origin,
    canisterId: stack.canisterId,
    hooks: { toClient: (message, info) => [info.sequenceNum === 2n ? { ...message, cert: flipBit(message.cert, -1) } : message] },
  });
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    requested.push(path);
    if (path.startsWith('/api/')) {
      const upstream = request(new URL(req.url!, stack.replica.url), { method: req.method, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      req.pipe(upstream);
      return;
    }
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page(stack));
    const file = join(DIST, normalize(path));
    if (!file.startsWith(DIST) || !path.endsWith('.js') || !existsSync(file) || (hideWorker && path === '/icws-bls-worker.js')) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await tampering?.close();
  await stack?.close();
});

beforeEach(() => {
  requested = [];
  hideWorker = false;
});

/** Plays one round in a fresh page; @returns its log and the files it fetched. */
async function pingPong(blsVerifier: string, gateway: string = stack.gateway.url.href): Promise<{ log: string[]; fetched: string[] }> {
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (err) => errors.push(err.message));
  try {
    await tab.goto(pageUrl);
    await tab.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const log = await tab.evaluate(
      ([url, verifier]) => (window as unknown as { pingPong(url: string, verifier: string): Promise<string[]> }).pingPong(url, verifier),
      [gateway, blsVerifier] as const,
    );
    expect(errors).toEqual([]);
    return { log, fetched: requested.filter((path) => path.endsWith('.js')).map((path) => path.replace(/^(\/browser\/.+)-[\w-]{8}\.js$/, '$1-….js')) };
  } finally {
    await tab.close();
  }
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
