// `npm start`: the whole local stack — the embedded replica with every example canister, the
// gateway, and the chat demo page. Ctrl-C stops everything.
const { mkdirSync, writeFileSync, readFileSync, existsSync } = require('node:fs');
const { createServer, request } = require('node:http');
const { join, extname, normalize } = require('node:path');
const { startReplica, loadCanisterModule } = require('@icws/replica');
const { startGateway } = require('@icws/gateway');
const { idlFactorySource } = require('@icws/backend-cdk');

const ROOT = join(__dirname, '..');
const STATE_DIR = process.env.ICWS_STATE_DIR ?? join(ROOT, '.icws');
const EXAMPLES = [
  ['ping_pong', 'examples/ping-pong/canister.ts'],
  ['chat', 'examples/chat/canister.ts'],
  ['counter', 'examples/counter/canister.ts'],
  ['certified_variable', 'examples/certified-variable/canister.ts'],
];
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const CONTENT_TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.json': 'application/json', '.map': 'application/json' };

/**
 * Serves the chat page, the client SDK's browser bundle, the chat canister's interface and the
 * stack's addresses, and passes `/api/*` to the replica (so the page reads the root key from its
 * own origin, as behind a dev server).
 */
function startDemoServer(port, replicaUrl, config) {
  const { methods } = require(join(ROOT, 'examples/chat/idl.ts'));
  const generated = {
    '/config.json': ['application/json', JSON.stringify(config)],
    '/chat.did.js': ['text/javascript; charset=utf-8', `export const idlFactory = ${idlFactorySource(methods)};\n`],
  };
  const files = {
    '/': join(ROOT, 'examples/chat/web/index.html'),
    '/chat.js': join(ROOT, 'examples/chat/web/chat.js'),
    '/icws-client.js': join(ROOT, 'packages/client-sdk/dist/icws-client.browser.js'),
  };
  const server = createServer((req, res) => {
    const path = normalize((req.url ?? '/').split('?')[0]);
    if (path.startsWith('/api/')) {
      const upstream = request(new URL(req.url, replicaUrl), { method: req.method, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      upstream.on('error', (err) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`replica unreachable: ${err.message}\n`));
      return void req.pipe(upstream);
    }
    if (generated[path]) {
      const [type, body] = generated[path];
      return res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    }
    const file = files[path];
    if (file === undefined || !existsSync(file)) return res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  const replica = await startReplica({
    host: '127.0.0.1',
    port: env('ICWS_REPLICA_PORT', 4943),
    stateDir: join(STATE_DIR, 'replica'),
    canisters: EXAMPLES.map(([name, path]) => ({ name, module: loadCanisterModule(join(ROOT, path)) })),
  });
  const ids = Object.fromEntries(Object.entries(replica.canisterIds).map(([name, id]) => [name, id.toText()]));
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(join(STATE_DIR, 'canister_ids.json'), JSON.stringify(ids, null, 2) + '\n');
  for (const [name, id] of Object.entries(ids)) console.log(`canister ${name} ${id}`);
  console.log(`replica listening on ${replica.url.origin}`);

  const gateway = await startGateway({
    gatewayAddress: `127.0.0.1:${env('ICWS_GATEWAY_PORT', 8080)}`,
    icNetworkUrl: replica.url.origin,
    prometheusEndpoint: `127.0.0.1:${env('ICWS_METRICS_PORT', 9000)}`,
    dataDir: join(STATE_DIR, 'gateway'),
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  console.log(`gateway listening on ${gateway.url.href} (principal ${gateway.principal.toText()})`);

  const demoPort = env('ICWS_DEMO_PORT', 8000);
  const demo = await startDemoServer(demoPort, replica.url, { gatewayUrl: gateway.url.href, canisterId: ids.chat });
  console.log(`demo page on http://127.0.0.1:${demo.address().port}/`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    demo.close();
    gateway
      .close()
      .then(() => replica.close())
      .then(() => process.exit(0), (err) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`npm start: ${err.message}`);
  process.exit(1);
});
