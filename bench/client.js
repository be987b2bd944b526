// Client SDK: CPU time per received message when one poll delivers 50 messages (one certificate
// for the batch), for @icws/client-sdk and for the published ic-websocket-js@0.5.0 in the same
// run; then round trips per second with 100 clients, next to a raw `ws` echo measured alike.
// Runs against the built packages (`npm run build`); the upstream client comes from
// test/upstream-client (`npm ci --prefix test/upstream-client`).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const WebSocket = require('ws');
const { IDL } = require('@icp-sdk/core/candid');
const protocol = require('@icws/protocol');
const { IcWebSocket, createWsConfig, generateRandomIdentity } = require('@icws/client-sdk');
const { AppMessage } = require('./burst-canister');
const { startChild, percentile } = require('./support');

const BURST = 50;
const BURSTS = Number(process.env.BENCH_CLIENT_BURSTS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENT_CLIENTS ?? 100);
const SECONDS = Number(process.env.BENCH_CLIENT_SECONDS ?? 5);
const UPSTREAM = join(__dirname, '../test/upstream-client/node_modules');

const methods = {
  ...protocol.wsServiceMethods(AppMessage),
  burst: IDL.Func([IDL.Principal, IDL.Nat32], [], []),
};
const idlFactory = () => IDL.Service(methods);
const app = (text) => ({ text, timestamp: BigInt(Date.now()) * 1_000_000n });

/** A WebSocket class that keeps the frames it receives, to count certificates after the measurement. */
function recordingWebSocket(Base, counters) {
  return class extends Base {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => counters.frames.push(event.data));
    }
  };
}

/** @returns how many distinct certificates the relayed frames in `frames` carry. */
function distinctCertificates(frames) {
  const certs = new Set();
  for (const data of frames) {
    try {
      certs.add(Buffer.from(protocol.decodeCanisterToClientMessage(new Uint8Array(data.buffer ?? data)).cert).toString('base64'));
    } catch {
      // the handshake
    }
  }
  return certs.size;
}

/** Connects one client with `connect(onText)` and measures client CPU per message over bursts of 50. */
async function measureBursts(host, name, connect) {
  const counters = { frames: [] };
  let waiting;
  let received = 0;
  const client = await connect(counters, (text) => {
    if (!text.startsWith('burst ')) return;
    received++;
    if (received === BURST) waiting?.();
  });
  const perMessage = [];
  let certificates = 0;
  for (let round = 0; round < BURSTS + 1; round++) {
    received = 0;
    counters.frames = [];
    const done = new Promise((resolve) => (waiting = resolve));
    const replied = host.ask(`burst ${client.principal} ${BURST}`);
    // from here on, the process only receives: the messages come with the gateway's next poll
    const cpu0 = process.cpuUsage();
    await done;
    const cpu = process.cpuUsage(cpu0);
    const reply = await replied;
    if (reply.burst !== 'replied') throw new Error(`burst: ${JSON.stringify(reply)}`);
    if (round === 0) continue; // warm-up
    perMessage.push((cpu.user + cpu.system) / 1000 / BURST);
    certificates += distinctCertificates(counters.frames);
  }
  client.close();
  const median = percentile(perMessage, 50);
  console.log(
    `${name}: ${median.toFixed(3)} ms client CPU per received message (median of ${BURSTS} bursts of ${BURST}; ` +
      `${(certificates / BURSTS).toFixed(1)} certificate(s) per burst)`,
  );
  return median;
}

function connectOurs(stack) {
  return (counters, onText) =>
    new Promise((resolve, reject) => {
      const ws = new IcWebSocket(
        stack.gatewayUrl,
        undefined,
        createWsConfig({
          canisterId: stack.canisterId,
          idlFactory,
          identity: generateRandomIdentity(),
          networkUrl: stack.replicaUrl,
          WebSocket: recordingWebSocket(WebSocket, counters),
        }),
      );
      ws.onmessage = (event) => {
        if (event.data.text === 'ping') resolve({ principal: ws.getPrincipal().toText(), close: () => ws.close() });
        onText(event.data.text);
      };
      ws.onerror = (event) => reject(event.error);
    });
}

function loadUpstream() {
  if (!existsSync(join(UPSTREAM, 'ic-websocket-js'))) return undefined;
  const load = (name) => require(join(UPSTREAM, name));
  return { ...load('ic-websocket-js'), agent: load('@dfinity/agent') };
}

/** `type` rebuilt with another copy's IDL (the upstream client checks instanceof its own classes). */
function convertIdl(type, target) {
  if (type instanceof IDL.FuncClass) return target.Func(type.argTypes.map((t) => convertIdl(t, target)), type.retTypes.map((t) => convertIdl(t, target)), type.annotations);
  if (type instanceof IDL.VecClass) return target.Vec(convertIdl(type._type, target));
  if (type instanceof IDL.OptClass) return target.Opt(convertIdl(type._type, target));
  const fields = (list) => Object.fromEntries(list.map(([name, t]) => [name, convertIdl(t, target)]));
  if (type instanceof IDL.VariantClass) return target.Variant(fields(type._fields));
  if (type instanceof IDL.RecordClass) return target.Record(fields(type._fields));
  const name = type.display();
  return target[name[0].toUpperCase() + name.slice(1)];
}

function connectUpstream(stack, upstream) {
  return (counters, onText) =>
    new Promise((resolve, reject) => {
      globalThis.WebSocket = recordingWebSocket(WebSocket, counters);
      const { Actor, HttpAgent } = upstream.agent;
      const factory = ({ IDL: target }) => target.Service(Object.fromEntries(Object.entries(methods).map(([n, f]) => [n, convertIdl(f, target)])));
      const actor = Actor.createActor(factory, { agent: HttpAgent.createSync({ host: stack.replicaUrl }), canisterId: stack.canisterId });
      const identity = upstream.generateRandomIdentity();
      const ws = new upstream.IcWebSocket(
        stack.gatewayUrl,
        undefined,
        upstream.createWsConfig({ canisterId: stack.canisterId, canisterActor: actor, identity, networkUrl: stack.replicaUrl }),
      );
      ws.onopen = () => undefined;
      ws.onclose = () => undefined;
      ws.onmessage = (event) => {
        if (event.data.text === 'ping') resolve({ principal: identity.getPrincipal().toText(), close: () => ws.close() });
        onText(event.data.text);
      };
      ws.onerror = (event) => reject(event.error ?? event);
    });
}

/** Runs `clients` loops of sequential round trips for SECONDS; @returns round trips per second. */
async function roundTrips(clients, roundTrip) {
  const deadline = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  const counts = await Promise.all(
    clients.map(async (client) => {
      let n = 0;
      while (performance.now() < deadline) {
        await roundTrip(client);
        n++;
      }
      return n;
    }),
  );
  return counts.reduce((a, b) => a + b, 0) / ((performance.now() - t0) / 1000);
}

/** An IcWebSocket client whose replies are awaited one at a time. */
function icClient(stack) {
  return new Promise((resolve, reject) => {
    const waiters = [];
    const ws = new IcWebSocket(
      stack.gatewayUrl,
      undefined,
      createWsConfig({ canisterId: stack.canisterId, idlFactory, identity: generateRandomIdentity(), networkUrl: stack.replicaUrl }),
    );
    ws.onmessage = (event) => {
      if (event.data.text === 'ping') return resolve({ ws, next: () => new Promise((r) => waiters.push(r)) });
      waiters.shift()?.(event.data.text);
    };
    ws.onerror = (event) => reject(event.error);
  });
}

function echoClient(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const waiters = [];
    socket.on('message', () => waiters.shift()?.());
    socket.once('open', () => resolve({ socket, next: () => new Promise((r) => waiters.push(r)) }));
    socket.once('error', reject);
  });
}

async function inBatches(count, make, batch = 20) {
  const out = [];
  for (let i = 0; i < count; i += batch) out.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, make))));
  return out;
}

async function main() {
  const host = startChild(join(__dirname, 'client-host.js'), ['replica']);
  const replica = await host.next();
  const gateway = startChild(join(__dirname, 'client-host.js'), ['gateway', replica.replicaUrl]);
  const stack = { ...replica, ...(await gateway.next()) };

  const ours = await measureBursts(host, '@icws/client-sdk', connectOurs(stack));
  const upstream = loadUpstream();
  if (upstream === undefined) {
    console.log('ic-websocket-js@0.5.0: skipped (not installed; run `npm ci --no-audit --no-fund --prefix test/upstream-client`)');
  } else {
    const theirs = await measureBursts(host, 'ic-websocket-js@0.5.0', connectUpstream(stack, upstream));
    console.log(`=> @icws/client-sdk is ${(theirs / ours).toFixed(1)}x cheaper per received message (target >= 20x)`);
  }

  const clients = await inBatches(CLIENTS, () => icClient(stack));
  const icRate = await roundTrips(clients, (c) => {
    const reply = c.next();
    c.ws.send(app('rt'));
    return reply;
  });
  for (const c of clients) c.ws.close();
  const echoes = await inBatches(CLIENTS, () => echoClient(stack.echoUrl));
  const payload = protocol.encodeCandid([AppMessage], [app('rt')]);
  const echoRate = await roundTrips(echoes, (c) => {
    const reply = c.next();
    c.socket.send(payload);
    return reply;
  });
  for (const c of echoes) c.socket.close();
  console.log(
    `round trips with ${CLIENTS} clients, each one at a time for ${SECONDS} s: ` +
      `@icws/client-sdk through gateway and canister ${Math.round(icRate)}/s; raw ws echo ${Math.round(echoRate)}/s`,
  );
  gateway.stop();
  host.stop();
  setTimeout(() => process.exit(0), 500).unref();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

