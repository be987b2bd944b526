// `npm start`: the whole local stack — the embedded replica with every example canister, the
// gateway (with its Prometheus metrics endpoint), and the chat demo page. It prints every address it
// listens on; Ctrl-C (or SIGTERM) closes everything and exits 0. The page's "Restart gateway"
// button (POST /restart-gateway) restarts the gateway on its address and identity: the page
// resumes its session and shows how many messages it recovered.
//
// Environment variables (a port of 0 picks a free one):
//   ICWS_STATE_DIR     where the replica's state (keys, canister ids, the canisters' stable memory in
//                      replica/state.sqlite), the gateway's identity and canister_ids.json go (default ./.icws)
//   ICWS_REPLICA_PORT  the replica's HTTP port (default 4943)
//   ICWS_GATEWAY_PORT  the gateway's WebSocket port (default 8080)
//   ICWS_METRICS_PORT  the gateway's Prometheus metrics port (default 9000)
//   ICWS_DEMO_PORT     the chat demo page's port (default 8000)
//   LOG_LEVEL          the gateway's log level: trace, debug, info, warn, error, fatal or silent (default warn)
const { mkdirSync, writeFileSync, readFileSync, existsSync } = require('node:fs');
const { createServer, request } = require('node:http');
const { join, extname, normalize } = require('node:path');
const { startReplica } = require('@icws/replica');
const { startGateway } = require('@icws/gateway');
const { idlFactorySource } = require('@icws/backend-cdk');
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');

const ROOT = join(__dirname, '..');
const STATE_DIR = process.env.ICWS_STATE_DIR ?? join(ROOT, '.icws');
const EXAMPLES = [
  ['ping_pong', 'examples/ping-pong/canister.ts'],
  ['chat', 'examples/chat/canister.ts'],
  ['counter', 'examples/counter/canister.ts'],
  ['certified_variable', 'examples/certified-variable/canister.ts'],
];
/** @returns the port in environment variable `name`, or `fallback`; a bad value stops the start with a clear message. */
function env(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${name}=${raw} is not a port: give a number from 0 to 65535 (0 picks a free port)`);
  return port;
}
const CONTENT_TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.json': 'application/json', '.map': 'application/json' };

/**
 * Serves the chat page, the client SDK's browser bundle, the chat canister's interface, the stack's
 * addresses and who is online (the chat canister's `members` query, as `/members.json`), passes
 * `/api/*` to the replica (so the page reads the root key from its own origin, as behind a dev
 * server), and restarts the gateway on `POST /restart-gateway`.
 */
function startDemoServer(port, replica, config, gateway) {
  const replicaUrl = replica.url;
  const { methods } = require(join(ROOT, 'examples/chat/idl.ts'));
  const generated = {
    '/config.json': ['application/json', JSON.stringify(config)],
    '/chat.did.js': ['text/javascript; charset=utf-8', `export const idlFactory = ${idlFactorySource(methods)};\n`],
  };
  const files = {
    '/': join(ROOT, 'examples/chat/web/index.html'),
    '/chat.js': join(ROOT, 'examples/chat/web/chat.js'),
    '/icws-client.js': join(ROOT, 'packages/client-sdk/dist/icws-client.browser.js'),
    // The certificate checker's Web Worker and the WebAssembly it loads on first use.
    '/icws-bls-worker.js': join(ROOT, 'packages/client-sdk/dist/icws-bls-worker.js'),
  };
  const clientDist = join(ROOT, 'packages/client-sdk/dist');
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
    if (path === '/restart-gateway' && req.method === 'POST') {
      return void gateway.restart().then(
        (restarted) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ gatewayUrl: restarted.url.href })),
        (err) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`gateway restart failed: ${err.message}\n`),
      );
    }
    if (path === '/members.json') {
      return void members(replica, config.canisterId).then(
        (list) => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(list)),
        (err) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`members query failed: ${err.message}\n`),
      );
    }
    if (generated[path]) {
      const [type, body] = generated[path];
      return res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    }
    const file = files[path] ?? (path.startsWith('/browser/') && !path.includes('..') ? join(clientDist, path) : undefined);
    if (file === undefined || !existsSync(file)) return res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * The gateway, restartable on the address it got and with the same identity (data directory): its
 * clients' connections end (it drains, telling the canister), and they come back and resume.
 */
function restartableGateway(options) {
  let current;
  let restarting;
  return {
    get current() {
      return current;
    },
    async start() {
      current = await startGateway(options);
      return current;
    },
    /** @returns the restarted gateway; concurrent calls share one restart. */
    restart() {
      restarting ??= (async () => {
        const metricsPort = current.metricsUrl?.port;
        await current.close();
        current = await startGateway({
          ...options,
          gatewayAddress: `127.0.0.1:${current.url.port}`,
          prometheusEndpoint: metricsPort ? `127.0.0.1:${metricsPort}` : options.prometheusEndpoint,
        });
        console.log(`gateway restarted on ${current.url.href}`);
        return current;
      })().finally(() => (restarting = undefined));
      return restarting;
    },
    close: () => current.close(),
  };
}

/** @returns the principals connected to the chat canister, as text, from its `members` query. */
async function members(replica, canisterId) {
  const outcome = await replica.replica.query(Principal.fromText(canisterId), 'members', new Uint8Array(IDL.encode([], [])), Principal.anonymous());
  if (outcome.status !== 'replied') throw new Error(`the chat canister rejected it: ${outcome.rejectMessage}`);
  const [list] = IDL.decode([IDL.Vec(IDL.Principal)], outcome.reply);
  return list.map((principal) => principal.toText());
}

async function main() {
  const ports = {
    replica: env('ICWS_REPLICA_PORT', 4943),
    gateway: env('ICWS_GATEWAY_PORT', 8080),
    metrics: env('ICWS_METRICS_PORT', 9000),
    demo: env('ICWS_DEMO_PORT', 8000),
  };
  const replica = await startReplica({
    host: '127.0.0.1',
    port: ports.replica,
    // The counter's count and the chat room's history are stable collections: kept across restarts.
    stateDir: join(STATE_DIR, 'replica'),
    // Paths rather than loaded modules: the replica then knows when a module changed (an upgrade).
    canisters: EXAMPLES.map(([name, path]) => ({ name, module: join(ROOT, path) })),
  });
  const ids = Object.fromEntries(Object.entries(replica.canisterIds).map(([name, id]) => [name, id.toText()]));
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(join(STATE_DIR, 'canister_ids.json'), JSON.stringify(ids, null, 2) + '\n');
  for (const [name, id] of Object.entries(ids)) console.log(`canister ${name} ${id}`);
  console.log(`replica listening on ${replica.url.origin}`);

  const gateway = restartableGateway({
    gatewayAddress: `127.0.0.1:${ports.gateway}`,
    icNetworkUrl: replica.url.origin,
    prometheusEndpoint: `127.0.0.1:${ports.metrics}`,
    dataDir: join(STATE_DIR, 'gateway'),
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  const { url: gatewayUrl, principal, metricsUrl } = await gateway.start();
  console.log(`gateway listening on ${gatewayUrl.href} (principal ${principal.toText()})`);
  if (metricsUrl) console.log(`gateway metrics on ${metricsUrl.href}`);

  const demo = await startDemoServer(ports.demo, replica, { gatewayUrl: gatewayUrl.href, canisterId: ids.chat }, gateway);
  console.log(`demo page on http://127.0.0.1:${demo.address().port}/`);

  console.log('Ctrl-C to stop');

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping: closing the demo page, the gateway and the replica…');
    const demoClosed = new Promise((resolve) => demo.close(resolve));
    // Browsers keep idle HTTP connections open; they must not hold the exit up.
    demo.closeAllConnections();
    demoClosed
      .then(() => gateway.close())
      .then(() => replica.close())
      .then(() => {
        console.log('goodbye');
        process.exit(0);
      }, (err) => {
        console.error(`npm start: stopping failed: ${err.message}`);
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
