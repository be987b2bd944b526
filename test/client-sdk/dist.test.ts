/**
 * The built package (`npm run build`): the export list is the public API (a change to it is a
 * semver decision), the same from ESM and CJS, with declarations; and the ESM build, imported by
 * plain Node, plays ping-pong through the gateway.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startStack, type Stack } from '../support/icws-stack';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const DIST = join(ROOT, 'packages/client-sdk/dist');

const PUBLIC_API = [
  'CLIENT_ERROR_CODES',
  'CLOSE_CODES',
  'CloseCode',
  'IcWebSocket',
  'IcWebSocketCloseEvent',
  'IcWebSocketError',
  'IcWebSocketErrorCode',
  'IcWebSocketErrorEvent',
  'IcWebSocketMessageEvent',
  'IcWebSocketNewSessionEvent',
  'IcWebSocketReconnectEvent',
  'IcWebSocketResumedEvent',
  'IcwsError',
  'backoff',
  'createWsConfig',
  'generateRandomIdentity',
  'isReconnectable',
];

async function node(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 });
  return stdout.trim();
}

beforeAll(() => {
  for (const file of ['index.mjs', 'index.cjs', 'index.d.ts', 'icws-client.browser.js']) {
    if (!existsSync(join(DIST, file))) throw new Error(`${join(DIST, file)} is missing: run \`npm run build\` first`);
  }
});

describe('@icws/client-sdk as built', () => {
  it('exports exactly the public API, from ESM, CJS and the browser bundle alike', async () => {
    const esm = await node(['--input-type=module', '-e', "import * as m from '@icws/client-sdk'; console.log(Object.keys(m).sort().join())"]);
    const cjs = await node(['-e', "console.log(Object.keys(require('@icws/client-sdk')).sort().join())"]);
    expect(esm.split(',')).toEqual(PUBLIC_API);
    expect(cjs.split(',')).toEqual(PUBLIC_API);
    const bundleExports = /export \{([^}]*)\};\s*(\/\/# sourceMappingURL=\S*)?\s*$/.exec(readFileSync(join(DIST, 'icws-client.browser.js'), 'utf8'))![1]!;
    const names = bundleExports.split(',').map((entry) => entry.trim().split(/\s+as\s+/).pop()!).filter(Boolean);
    expect(names.sort()).toEqual(PUBLIC_API);
  });

  it('declares its types in one index.d.ts', () => {
    const dts = readFileSync(join(DIST, 'index.d.ts'), 'utf8');
    for (const name of [...PUBLIC_API, 'IcWebSocketConfig', 'ReconnectOptions', 'WsCanisterService', 'ApplicationMessageOf', 'IcWebSocketEventMap']) {
      expect(dts).toMatch(new RegExp(`\\b${name}\\b`));
    }
    expect(dts).not.toMatch(/from '\.\//); // nothing left pointing at sources
  });

  it('shares @icp-sdk/core with the app (a peer dependency) from ESM and CJS; the browser bundle inlines it', async () => {
    for (const file of ['index.mjs', 'index.cjs']) {
      const code = readFileSync(join(DIST, file), 'utf8');
      expect(code).toMatch(/['"]@icp-sdk\/core\/candid['"]/);
      expect(code).not.toMatch(/class Principal\b/);
    }
    const bundle = readFileSync(join(DIST, 'icws-client.browser.js'), 'utf8');
    expect(bundle).not.toMatch(/^\s*import\b[^;]*['"]@icp-sdk\//m);
    expect(bundle).toMatch(/class Principal\b/);
    // The app's Principal class is the one the SDK hands back.
    const probe = (load: string) => `${load}; const id = generateRandomIdentity(); console.log(id.getPrincipal() instanceof Principal)`;
    const esm = await node(['--input-type=module', '-e', probe("import { Principal } from '@icp-sdk/core/principal'; import { generateRandomIdentity } from '@icws/client-sdk'")]);
    const cjs = await node(['-e', probe("const { Principal } = require('@icp-sdk/core/principal'); const { generateRandomIdentity } = require('@icws/client-sdk')")]);
    expect([esm, cjs]).toEqual(['true', 'true']);
  });

  describe('in Node, as ESM', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(() => stack.close());

    it('plays ping-pong through the gateway', async () => {
      const script = `
        import { IDL } from '@icp-sdk/core/candid';
        import { wsServiceMethods } from '@icws/protocol';
        import { IcWebSocket, createWsConfig, generateRandomIdentity } from '@icws/client-sdk';
        const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });
        const ws = new IcWebSocket(process.env.GATEWAY, undefined, createWsConfig({
          canisterId: process.env.CANISTER, idlFactory: () => IDL.Service(wsServiceMethods(AppMessage)),
          identity: generateRandomIdentity(), networkUrl: process.env.REPLICA,
        }));
        const texts = [];
        const messages = ws[Symbol.asyncIterator]();
        await ws.opened;
        texts.push((await messages.next()).value.text);
        for (let i = 1; i <= 3; i++) {
          ws.send({ text: 'esm ' + i, timestamp: 0n });
          texts.push((await messages.next()).value.text);
        }
        ws.close();
        for await (const _ of messages);
        console.log(JSON.stringify(texts));`;
      const out = await node(['--input-type=module', '-e', script], {
        GATEWAY: stack.gateway.url.href,
        CANISTER: stack.canisterId.toText(),
        REPLICA: stack.replica.url.origin,
      });
      expect(JSON.parse(out)).toEqual(['ping', 'esm 1 ping', 'esm 2 ping', 'esm 3 ping']);
    });
  });
});
