/**
 * `npm start` runs the whole stack; the chat page it serves works in headless Chromium: two tabs
 * join the room, one says something, both see it relayed by the canister.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';

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
});

test('the chat page relays a message to everyone in the room', async () => {
  const [alice, bob] = [await browser.newPage(), await browser.newPage()];
  const errors: string[] = [];
  for (const tab of [alice, bob]) {
    tab.on('pageerror', (err) => errors.push(err.message));
    await tab.goto(pageUrl);
    await tab.waitForSelector('#status[data-state="open"]', { timeout: 20_000 });
  }
  await alice.fill('#text', 'hello from alice');
  await alice.click('#send');
  for (const tab of [alice, bob]) {
    await tab.waitForSelector('#messages li[data-kind="Message"]:has-text("hello from alice")', { timeout: 20_000 });
  }
  expect(errors).toEqual([]);
}, 60_000);

test('Ctrl-C stops everything cleanly', async () => {
  const exited = new Promise((resolve) => stack.once('exit', resolve));
  stack.kill('SIGINT');
  expect(await exited).toBe(0);
});
