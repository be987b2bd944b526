/**
 * Headless Chromium for the tests of the client's browser build: a server for a test's page that
 * also serves the client's `dist/` files and passes `/api/*` to the replica, as a dev server does
 * (the embedded replica sends no CORS headers, so the page fetches the root key from its own
 * origin), the browser, and a way to run one function of the page in a fresh tab.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** The client's build output (`npm run build`). */
export const CLIENT_DIST = join(__dirname, '../../packages/client-sdk/dist');
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

/** Options of {@link startPageServer}. */
export interface PageServerOptions {
  /** The replica that `/api/*` goes to. */
  replicaUrl: URL;
  /** The page served at `/`. */
  html: string;
  /** Whether to serve the `dist/` file at `path` (e.g. `/icws-bls-worker.js`); answered 404 when not. @default every one */
  serves?: (path: string) => boolean;
}

/** A running page server. */
export interface PageServer {
  /** The page's URL. */
  url: string;
  /** The paths asked for so far; the test may empty it. */
  requested: string[];
  close(): Promise<void>;
}

/** Serves the page at `/`, the client's `dist/*.js` files, and the replica under `/api/`. */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  if (!existsSync(join(CLIENT_DIST, 'icws-client.browser.js'))) throw new Error(`${CLIENT_DIST}/icws-client.browser.js is missing: run \`npm run build\` first`);
  const requested: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    requested.push(path);
    if (path.startsWith('/api/')) {
      const upstream = request(new URL(req.url!, options.replicaUrl), { method: req.method, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      req.pipe(upstream);
      return;
    }
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(options.html);
    const file = join(CLIENT_DIST, normalize(path));
    if (!file.startsWith(CLIENT_DIST) || !path.endsWith('.js') || !existsSync(file) || options.serves?.(path) === false) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requested,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** @returns headless Chromium. @throws when it is not installed */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Opens `url` in a fresh tab, waits for the page to set `window.ready`, and calls the page's
 * `window[name](...args)`.
 * @returns what it resolved with
 * @throws when the page threw an uncaught error meanwhile
 */
export async function callInPage<R>(browser: Browser, url: string, name: string, ...args: unknown[]): Promise<R> {
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (err) => errors.push(err.message));
  try {
    await tab.goto(url);
    await tab.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const result = await tab.evaluate(
      ([fn, fnArgs]) => (window as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[fn]!(...fnArgs),
      [name, args] as const,
    );
    if (errors.length > 0) throw new Error(`the page threw: ${errors.join('; ')}`);
    return result as R;
  } finally {
    await tab.close();
  }
}
