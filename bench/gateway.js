// Gateway: client frames relayed per second, reply latency (client → canister → client) at the
// default 100 ms polling interval, and gateway memory per idle connection with many clients.
const { join } = require('node:path');
const WebSocket = require('ws');
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const protocol = require('@icws/protocol');
const { startChild, nativeIdentity, signedEnvelope, percentile } = require('./support');

const IDLE_CLIENTS = Number(process.env.BENCH_IDLE_CLIENTS ?? 10000);
const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });

class BenchClient {
  constructor(url, canisterId) {
    this.identity = nativeIdentity();
    this.canisterId = canisterId;
    this.nonce = BigInt(Math.floor(Math.random() * 2 ** 40));
    this.sequence = 0n;
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.frames = [];
    this.waiters = [];
    this.socket.on('message', (data) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(data);
      else this.frames.push(data);
    });
  }
  frame() {
    return this.frames.length ? Promise.resolve(this.frames.shift()) : new Promise((resolve) => this.waiters.push(resolve));
  }
  call(method, arg) {
    const content = {
      request_type: 'call', canister_id: this.canisterId, method_name: method, arg, sender: this.identity.principal,
      ingress_expiry: BigInt(Date.now() + 4 * 60_000) * 1_000_000n, nonce: crypto.getRandomValues(new Uint8Array(8)),
    };
    this.socket.send(protocol.encodeClientRequest({ envelope: signedEnvelope(this.identity, content) }));
  }
  async open() {
    await new Promise((resolve, reject) => { this.socket.once('open', resolve); this.socket.once('error', reject); });
    const { gateway_principal } = protocol.decodeGatewayHandshake(await this.frame());
    this.call('ws_open', protocol.encodeWsOpenArgs({ client_nonce: this.nonce, gateway_principal }));
    await this.frame(); // open message
    await this.frame(); // the canister's "ping"
  }
  send(text) {
    this.sequence++;
    const content = new Uint8Array(IDL.encode([AppMessage], [{ text, timestamp: BigInt(Date.now()) * 1_000_000n }]));
    const msg = { client_key: { client_principal: this.identity.principal, client_nonce: this.nonce }, sequence_num: this.sequence, timestamp: BigInt(Date.now()) * 1_000_000n, is_service_message: false, content };
    this.call('ws_message', protocol.encodeWsMessageArgs({ msg }));
  }
}

async function openClients(count, url, canisterId, concurrency = 200) {
  const clients = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      const client = new BenchClient(url, canisterId);
      await client.open();
      clients.push(client);
    }
  }));
  return clients;
}

async function main() {
  const replica = startChild(join(__dirname, 'ping-pong-host.js'));
  const { url: replicaUrl, canisterId: canisterText } = await replica.next();
  // Every client of this bench comes from 127.0.0.1: lift the per-address limit above their number.
  const limits = { maxConnectionsPerIp: IDLE_CLIENTS + 1_000, maxConnections: IDLE_CLIENTS + 1_000 };
  const gateway = startChild(join(__dirname, 'gateway-host.js'), [replicaUrl, JSON.stringify(limits)], ['--expose-gc']);
  const { url } = await gateway.next();
  const canisterId = Principal.fromText(canisterText);

  // Latency: one message at a time per client, for one client (an idle system) and for 20.
  const latencyClients = [];
  for (const count of [1, Number(process.env.BENCH_LATENCY_CLIENTS ?? 20)]) {
    const clients = await openClients(count - latencyClients.length, url, canisterId);
    latencyClients.push(...clients);
    const latencies = [];
    await Promise.all(latencyClients.map(async (client) => {
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        client.send(`m${i}`);
        await client.frame();
        latencies.push(performance.now() - t0);
      }
    }));
    console.log(`reply latency at the 100 ms polling interval, ${String(count).padStart(2)} client(s) × 25 round trips: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
  }

  // Throughput: 100 clients, each with 50 messages in flight.
  const clients = [...latencyClients, ...(await openClients(100 - latencyClients.length, url, canisterId))];
  const perClient = 50;
  const t0 = performance.now();
  await Promise.all(clients.map(async (client) => {
    for (let i = 0; i < perClient; i++) client.send(`t${i}`);
    for (let i = 0; i < perClient; i++) await client.frame();
  }));
  const seconds = (performance.now() - t0) / 1000;
  const frames = clients.length * perClient;
  console.log(`relay: ${frames} client frames relayed and answered in ${seconds.toFixed(2)} s = ${Math.round(frames / seconds)} frames/s (100 clients, 50 in flight each)`);
  for (const client of clients) client.socket.close();
  await new Promise((resolve) => setTimeout(resolve, 1000));

  // CPU per poll of an idle canister: what a gateway spends on each canister it serves, ten times a
  // second. The gateway's CPU with one idle session, less its CPU with none over as long a time.
  const cpuOver = async (ms) => {
    const before = await gateway.ask('cpu');
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = await gateway.ask('cpu');
    return { cpuMs: (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000, polls: after.polls - before.polls };
  };
  const baseline = await cpuOver(5000);
  const idleClient = (await openClients(1, url, canisterId))[0];
  await new Promise((resolve) => setTimeout(resolve, 500));
  const polling = await cpuOver(5000);
  console.log(`idle polling: ${polling.polls} polls in 5 s, gateway CPU ${((polling.cpuMs - baseline.cpuMs) / polling.polls).toFixed(2)} ms per poll`);
  idleClient.socket.close();
  await new Promise((resolve) => setTimeout(resolve, 500));

  // Memory per idle connection.
  const before = await gateway.ask('memory');
  const idle = await openClients(IDLE_CLIENTS, url, canisterId);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = await gateway.ask('memory');
  const perRss = (after.memory.rss - before.memory.rss) / idle.length / 1024;
  const perHeap = (after.memory.heapUsed + after.memory.external - before.memory.heapUsed - before.memory.external) / idle.length / 1024;
  console.log(`memory: ${after.sessions} open sessions; gateway RSS +${perRss.toFixed(1)} KB and heap+external +${perHeap.toFixed(1)} KB per idle connection`);
  for (const client of idle) client.socket.terminate();
  gateway.stop();
  replica.stop();
  setTimeout(() => process.exit(0), 500).unref();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
