/**
 * `npm start` runs the whole stack and prints its addresses; the chat page it serves works in
 * headless Chromium: two tabs join the room, each shows its connection, who is online and every
 * message marked verified, its own messages apart with their round trip; after a gateway restart
 * both resume their sessions and show what they recovered; Ctrl-C says goodbye.
 * Screenshots of both tabs go to a temporary directory (`ICWS_SCREENSHOT_DIR` to choose it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = join(__dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let stack: ChildProcessWithoutNullStreams;
let output: string[];
let pageUrl: string;
let browser: Browser;
const stateDir = mkdtempSync(join(tmpdir(), 'icws-start-'));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  stack = spawn(process.execPath, [join(ROOT, 'scripts/start.js')], {
    env: { ...process.env, ICWS_STATE_DIR: stateDir, ICWS_REPLICA_PORT: '0', ICWS_GATEWAY_PORT: '0', ICWS_METRICS_PORT: '0', ICWS_DEMO_PORT: '0' },
  });
  output = [];
  pageUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: stack.stdout }).on('line', (line) => {
      output.push(line);
      const match = /^demo page on (\S+)$/.exec(line);
      if (match) resolve(match[1]);
    });
    let stderr = '';
    stack.stderr.on('data', (chunk) => (stderr += chunk));
    stack.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (stack.exitCode === null) stack.kill('SIGKILL');
});

test('prints the canisters, the replica, the gateway and the page, and writes canister_ids.json', () => {
  const ids = JSON.parse(readFileSync(join(stateDir, 'canister_ids.json'), 'utf8')) as Record<string, string>;
  expect(Object.keys(ids)).toEqual(expect.arrayContaining(['ping_pong', 'chat']));
  for (const [name, id] of Object.entries(ids)) expect(output).toContain(`canister ${name} ${id}`);
  expect(output.some((line) => /^replica listening on http:\/\/127\.0\.0\.1:\d+$/.test(line))).toBe(true);
  expect(output.some((line) => /^gateway listening on ws:\/\/127\.0\.0\.1:\d+\//.test(line))).toBe(true);
  expect(output.some((line) => /^gateway metrics on http:\/\/127\.0\.0\.1:\d+\/metrics$/.test(line))).toBe(true);
});

test('the printed metrics endpoint answers', async () => {
  const url = /^gateway metrics on (\S+)$/.exec(output.find((line) => line.startsWith('gateway metrics on ')) ?? '')?.[1];
  const response = await fetch(url!);
  expect(response.status).toBe(200);
});

describe('the chat page', () => {
  let alice: Page;
  let bob: Page;
  const principals: Record<string, string> = {};
  const errors: string[] = [];
  const workerFiles: string[] = [];

  beforeAll(async () => {
    [alice, bob] = [await browser.newPage(), await browser.newPage()];
    for (const [name, tab] of [['alice', alice], ['bob', bob]] as const) {
      tab.on('pageerror', (err) => errors.push(err.message));
      tab.on('response', (response) => {
        const path = new URL(response.url()).pathname;
        if (path === '/icws-bls-worker.js' || path.startsWith('/browser/')) workerFiles.push(`${response.status()} ${path}`);
      });
      await tab.setViewportSize({ width: 1100, height: 720 });
      await tab.goto(pageUrl);
      await tab.waitForSelector('#connection[data-state="open"]', { timeout: 20_000 });
      principals[name] = await text(tab, '#principal');
    }
  }, 60_000);

  afterAll(async () => {
    const dir = process.env.ICWS_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'icws-demo-shots-'));
    for (const [name, tab] of [['alice', alice], ['bob', bob]] as const) await tab?.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  });

  it('shows the connection: open, the gateway, the canister and the client principal', async () => {
    const ids = JSON.parse(readFileSync(join(stateDir, 'canister_ids.json'), 'utf8')) as Record<string, string>;
    const gateway = /^gateway listening on (\S+)/.exec(output.find((line) => line.startsWith('gateway listening on ')) ?? '')?.[1];
    for (const tab of [alice, bob]) {
      expect(await text(tab, '#state')).toBe('open');
      expect(await text(tab, '#gateway-url')).toBe(gateway);
      expect(await text(tab, '#canister-id')).toBe(ids.chat);
      expect(await text(tab, '#attempts')).toBe('0');
      expect(await text(tab, '#last-error')).toBe('');
    }
    expect(principals.alice).toMatch(/^[a-z0-9]{5}(-[a-z0-9]{1,5})+$/);
    expect(principals.bob).not.toBe(principals.alice);
  });

  it('lists both principals as online, each marking its own', async () => {
    for (const [name, tab] of [['alice', alice], ['bob', bob]] as const) {
      for (const principal of Object.values(principals)) await tab.waitForSelector(`#online li[data-principal="${principal}"]`, { timeout: 20_000 });
      expect(await tab.locator('#online li.own').getAttribute('data-principal')).toBe(principals[name]);
    }
  }, 30_000);

  it('relays a message to everyone, marked verified, own messages apart with their round trip', async () => {
    await alice.fill('#text', 'hello from alice');
    await alice.click('#send');
    await bob.waitForSelector('#messages li[data-kind="Message"]:has-text("hello from alice")', { timeout: 20_000 });
    await bob.fill('#text', 'hi alice');
    await bob.click('#send');
    for (const tab of [alice, bob]) await tab.waitForSelector('#messages li[data-kind="Message"]:has-text("hi alice")', { timeout: 20_000 });

    for (const [name, tab] of [['alice', alice], ['bob', bob]] as const) {
      const items = tab.locator('#messages li');
      expect(await items.count()).toBeGreaterThanOrEqual(3); // bob joined, and the two messages
      expect(await tab.locator('#messages li:not(:has(.verified))').count()).toBe(0);
      for (const mark of await tab.locator('#messages li .verified').allTextContents()) expect(mark).toMatch(/^✓ certified · seq \d+ · certificate of \S/);
      const own = tab.locator('#messages li.own');
      expect(await own.count()).toBe(1);
      expect(await own.textContent()).toContain(name === 'alice' ? 'hello from alice' : 'hi alice');
      expect(await own.locator('.latency').textContent()).toMatch(/^round trip \d+ ms$/);
      const other = tab.locator('#messages li[data-kind="Message"]:not(.own)');
      expect(await other.count()).toBe(1);
      expect(await other.locator('.latency').count()).toBe(0);
      expect(await other.locator('.sender').getAttribute('title')).toBe(name === 'alice' ? principals.bob : principals.alice);
    }
    // The room numbers its messages: both tabs show the same numbers for the same messages.
    const ids = (tab: Page) => tab.locator('#messages li[data-kind="Message"]').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.id));
    expect(await ids(alice)).toEqual(await ids(bob));
    expect(errors).toEqual([]);
  }, 60_000);

  it('resumes after its gateway restarts, showing the messages it recovered, and the room goes on', async () => {
    await alice.click('#restart-gateway');
    for (const tab of [alice, bob]) {
      await tab.waitForFunction(() => document.querySelector('#session')?.textContent?.startsWith('resumed'), undefined, { timeout: 30_000 });
      await tab.waitForSelector('#connection[data-state="open"]', { timeout: 30_000 });
      // At least the notices of who left while the gateway was down.
      expect(Number((await text(tab, '#recovered')).split(' ')[0])).toBeGreaterThan(0);
      expect(await text(tab, '#attempts')).not.toBe('0');
    }
    expect(output.some((line) => /^gateway restarted on ws:\/\/127\.0\.0\.1:\d+\/$/.test(line))).toBe(true);
    await bob.fill('#text', 'after the restart');
    await bob.click('#send');
    await alice.waitForSelector('#messages li[data-kind="Message"]:has-text("after the restart")', { timeout: 20_000 });
    for (const tab of [alice, bob]) {
      const ids = await tab.locator('#messages li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(await tab.locator('#messages li.event:has-text("is back")').count()).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);
  }, 90_000);

  it('checks certificates in the Web Worker that npm start serves', () => {
    expect(workerFiles).toContain('200 /icws-bls-worker.js');
    expect(workerFiles.filter((line) => !line.startsWith('200 '))).toEqual([]);
  });

  it('says what the gateway can and cannot do', async () => {
    const trust = await text(alice, '#trust');
    for (const phrase of ['cannot forge, alter, reorder or drop', 'refuse', 'delay']) expect(trust).toContain(phrase);
  });
});

test('Ctrl-C closes everything, says goodbye and exits 0', async () => {
  const exited = new Promise((resolve) => stack.once('exit', resolve));
  stack.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(output.slice(-2)).toEqual(['stopping: closing the demo page, the gateway and the replica…', 'goodbye']);
}, 30_000);

/** @returns the trimmed text of the element `selector` of `tab`. */
async function text(tab: Page, selector: string): Promise<string> {
  return ((await tab.textContent(selector)) ?? '').trim();
}
