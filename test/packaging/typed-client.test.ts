/**
 * Typed clients of a TypeScript canister, both documented ways: `icws-replica --print-candid`
 * prints its `.did`, `@icp-sdk/bindgen` generates bindings from it, and a client using them
 * type-checks (a wrong message does not) and plays ping-pong through a real gateway; and the shared
 * `idl.ts` of the examples describes exactly the interface its canister serves.
 *
 * Slower than a unit test (a few seconds): spawns icws-replica and icp-bindgen, and type-checks with
 * the TypeScript compiler.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { IDL } from '@icp-sdk/core/candid';
import { startGateway, type RunningGateway } from '@icws/gateway';
import { startReplica, type RunningReplica } from '@icws/replica';
import { candidOfMethods, canisterCandid } from '../../packages/replica/src/candid-interface';
import pingPong from '../../examples/ping-pong/canister';
import { methods as pingPongMethods } from '../../examples/ping-pong/idl';
import chat from '../../examples/chat/canister';
import { methods as chatMethods } from '../../examples/chat/idl';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

/** A client as an application writes it against the generated bindings. */
const CLIENT_SOURCE = `import { createWsConfig, generateRandomIdentity, IcWebSocket } from '@icws/client-sdk';
import { idlFactory, type _SERVICE, type AppMessage } from './bindings/declarations/ping_pong.did';

const [gatewayUrl, canisterId, networkUrl] = process.argv.slice(2);
const ws = new IcWebSocket<_SERVICE>(gatewayUrl, undefined, createWsConfig<_SERVICE>({ canisterId, idlFactory, identity: generateRandomIdentity(), networkUrl }));
const texts: string[] = [];
ws.onmessage = (event) => {
  const message: AppMessage = event.data;
  texts.push(message.text);
  if (texts.length === 1) ws.send({ text: 'typed', timestamp: 0n });
  else ws.close();
};
ws.onclose = () => console.log(JSON.stringify(texts));

export function wrongMessage(): void {
  // @ts-expect-error the canister's AppMessage has no field txt
  ws.send({ txt: 'untyped', timestamp: 0n });
}
`;

/** @returns the type errors of `files`, one formatted line each, as a strict application sees them. */
function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    types: ['node'],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/** Compiles `file.ts` to `file.js` (CommonJS), as an application's build would. */
function compile(file: string): void {
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(file.replace(/\.ts$/, '.js'), outputText);
}

describe('a typed client from the printed .did (icws-replica --print-candid, icp-bindgen, tsc; slow)', () => {
  let replica: RunningReplica;
  let gateway: RunningGateway;
  let app: string;

  beforeAll(async () => {
    // An application folder, with the repository's packages as its dependencies.
    app = mkdtempSync(join(tmpdir(), 'icws-typed-client-'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
    replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
    gateway = await startGateway({ gatewayAddress: '127.0.0.1:0', icNetworkUrl: replica.url.origin, prometheusEndpoint: null, dataDir: join(app, 'gateway'), logLevel: 'silent' });
  });
  afterAll(async () => {
    await gateway?.close();
    await replica?.close();
    // The app's node_modules is a link to this checkout's: removed as a link, its target untouched.
    rmSync(app, { recursive: true, force: true });
  });

  it('generates bindings whose types check the client, and the client plays ping-pong with them', async () => {
    const { stdout: did } = await run(process.execPath, [join(ROOT, 'packages/replica/bin/icws-replica.js'), '--print-candid', 'ping_pong']);
    expect(did).toContain('type AppMessage = record { "text" : text; timestamp : nat64 };');
    writeFileSync(join(app, 'ping_pong.did'), did);
    await run(process.execPath, [join(ROOT, 'node_modules/@icp-sdk/bindgen/dist/esm/cli/icp-bindgen.js'), '--did-file', join(app, 'ping_pong.did'), '--out-dir', join(app, 'bindings'), '--declarations-typescript', '--actor-disabled'], { cwd: app });
    const bindings = join(app, 'bindings/declarations/ping_pong.did.ts');
    expect(readFileSync(bindings, 'utf8')).toMatch(/export interface AppMessage \{ 'text' : string, 'timestamp' : bigint \}/);
    const client = join(app, 'client.ts');
    writeFileSync(client, CLIENT_SOURCE);

    // The @ts-expect-error line must be an error: were the message untyped, tsc would flag the directive.
    expect(typeErrors([client])).toEqual([]);

    compile(bindings);
    compile(client);
    const { stdout } = await run(process.execPath, [join(app, 'client.js'), gateway.url.href, replica.canisterIds.ping_pong!.toText(), replica.url.origin], { cwd: app, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual(['ping', 'typed ping']);
  }, 90_000);

  it('prints the canister of a --canister NAME=PATH, a TypeScript module included', async () => {
    const { stdout } = await run(process.execPath, [join(ROOT, 'packages/replica/bin/icws-replica.js'), '--print-candid', 'counter', '--canister', `counter=${join(ROOT, 'examples/counter/canister.ts')}`]);
    expect(stdout).toBe('service : {\n  increment : () -> (nat);\n  add : (nat) -> (nat);\n  get : () -> (nat) query;\n  whoami : () -> (principal) query;\n  fail : (text) -> ();\n}\n');
  });

  it('reports a name that is no canister, example or file', async () => {
    const failed = await run(process.execPath, [join(ROOT, 'packages/replica/bin/icws-replica.js'), '--print-candid', 'nothing_here']).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('--print-candid nothing_here: not the NAME of a --canister NAME=PATH, nor an example canister (ping_pong, chat), nor a file') });
  });
});

describe('the shared idl.ts pattern', () => {
  const asMethods = (funcs: Record<string, IDL.FuncClass>) =>
    Object.fromEntries(
      Object.entries(funcs).map(([name, func]) => [name, { mode: func.annotations.includes('query') ? ('query' as const) : ('update' as const), argTypes: func.argTypes, retTypes: func.retTypes, implementation: () => undefined }]),
    );

  it.each([
    ['ping_pong', pingPong, pingPongMethods],
    ['chat', chat, chatMethods],
  ] as const)("%s: the idl.ts its clients import describes exactly the canister's interface", (_name, canister, shared) => {
    const served = canisterCandid(canister).replace(/^service : \([^\n]*\) -> \{/m, 'service : {');
    expect(candidOfMethods(asMethods(shared as Record<string, IDL.FuncClass>))).toBe(served);
  });
});
