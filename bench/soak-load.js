// A load-generator process of bench/soak.js: holds its share of the `@icws/client-sdk` clients
// (each checks the certificates of what it receives, as users' clients do) and, for the
// reference, raw `ws` echo connections. Started with one JSON argument (its settings); answers
// each command line on stdin with one JSON line:
//   open              opens the clients; {opened, failed, ms}
//   go <seconds>      each client sends an echo every 1/rate s for that long; {going}
//   report            counts since the last report, and round trips of that window
//   drain <ms>        waits until every sent message came back, or that long; {pending}
//   close             closes the clients; {closed}
//   echo <url> <paced|closed> <seconds>   the raw `ws` reference; {sent, received, rtts, ms}
const WebSocket = require('ws');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { createInterface } = require('node:readline');
const { IDL } = require('@icp-sdk/core/candid');
const protocol = require('@icws/protocol');
const { IcWebSocket, createWsConfig, generateRandomIdentity } = require('@icws/client-sdk');

const settings = JSON.parse(process.argv[2]);
const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });
const service = IDL.Service(protocol.wsServiceMethods(AppMessage));
const idlFactory = () => service;
const REPLY = / ping$/;
const TICK_MS = 10;

/**
 * Counts since the last report (window) and since the start (totals), shared by all clients. Each
 * round trip is also split at the time the canister executed the echo (the reply's timestamp, the
 * replica's wall clock, on this same machine): `ins` from the send to then (signing, the gateway's
 * relay queue, the replica's round), `outs` from then to the reply's arrival here (certification,
 * the poll, delivery, the client's checks and this process's own event-loop delay).
 */
const counts = { sent: 0, received: 0, duplicates: 0, unexpected: 0, refused: 0, cut: 0, rtts: [], ins: [], outs: [] };
/** Error, close and reconnection events by kind, code and the gateway's code in the reason. */
const events = {};
const count = (key) => (events[key] = (events[key] ?? 0) + 1);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let cpuMark = process.cpuUsage();
let timeMark = performance.now();

/** One user: an IcWebSocket, its messages in flight by sequence id, and the ids that came back. */
class SoakClient {
  constructor(id) {
    this.id = id;
    this.seq = 0;
    this.pending = new Map();
    /** Wall-clock send times, to compare with the canister's timestamp. */
    this.sentWallMs = new Map();
    this.seen = new Uint8Array(64);
    this.closing = false;
    this.ws = new IcWebSocket(
      settings.gatewayUrl,
      undefined,
      createWsConfig({
        canisterId: settings.canisterId,
        idlFactory,
        identity: generateRandomIdentity(),
        networkUrl: settings.replicaUrl,
        rootKey: Buffer.from(settings.rootKeyHex, 'hex'),
        ackMessageIntervalMs: settings.ackIntervalMs,
        reconnect: settings.reconnect ? { minDelayMs: 500, maxDelayMs: 5_000 } : false,
      }),
    );
    this.ws.onmessage = (event) => this.#onText(event.data.text, event.data.timestamp);
    this.ws.onerror = (event) => count(`error ${event.error?.code ?? 'unknown'}${leadingCode(event.error?.message, ' ')}`);
    this.ws.addEventListener('reconnecting', (event) => this.#ended('reconnecting', event));
    // A fresh session after a reconnection: what was in flight is gone. A resumed one re-sends it.
    this.ws.addEventListener('newsession', () => this.#cut());
    this.ws.onclose = (event) => this.#ended('close', event);
  }

  send(now) {
    const seq = ++this.seq;
    try {
      this.ws.send({ text: `${this.id}.${seq}`, timestamp: BigInt(Date.now()) * 1_000_000n });
    } catch (err) {
      counts.refused++;
      count(`send ${err.code ?? err.name}`);
      return;
    }
    this.pending.set(seq, now);
    this.sentWallMs.set(seq, Date.now());
    counts.sent++;
  }

  #onText(text, executedNs) {
    if (text === 'ping') return; // the canister's greeting on open
    const dot = text.lastIndexOf('.');
    const seq = Number(text.slice(dot + 1).replace(REPLY, ''));
    const sentAt = this.pending.get(seq);
    if (!REPLY.test(text) || text.slice(0, dot) !== this.id || !Number.isInteger(seq)) return void counts.unexpected++;
    if (sentAt === undefined) return void (this.#seen(seq) ? counts.duplicates++ : counts.unexpected++);
    this.pending.delete(seq);
    const sentWallMs = this.sentWallMs.get(seq);
    this.sentWallMs.delete(seq);
    this.#markSeen(seq);
    counts.received++;
    counts.rtts.push(performance.now() - sentAt);
    const executedMs = Number(executedNs / 1_000_000n);
    counts.ins.push(executedMs - sentWallMs);
    counts.outs.push(Date.now() - executedMs);
  }

  // Messages in flight when the connection closes for good never come back; while it reconnects
  // they wait: a resumed session re-sends what the canister did not receive.
  #ended(kind, event) {
    if (kind === 'close') this.#cut();
    if (this.closing && kind === 'close' && event.code === 1000) return;
    count(`${kind} ${event.code} ${event.error?.code ?? ''}${leadingCode(event.reason, ' ')}`.trim());
  }

  #cut() {
    counts.cut += this.pending.size;
    this.pending.clear();
    this.sentWallMs.clear();
  }

  #seen(seq) {
    return seq < this.seen.length * 8 && (this.seen[seq >> 3] & (1 << (seq & 7))) !== 0;
  }

  #markSeen(seq) {
    while (seq >= this.seen.length * 8) {
      const grown = new Uint8Array(this.seen.length * 2);
      grown.set(this.seen);
      this.seen = grown;
    }
    this.seen[seq >> 3] |= 1 << (seq & 7);
  }
}

/** @returns the ICWS_ERR_* code `text` starts with (the gateway's close reasons do), after `prefix`, or ''. */
function leadingCode(text, prefix) {
  const match = /^ICWS_ERR_[A-Z_]+/.exec(text ?? '');
  return match ? prefix + match[0] : '';
}

const clients = [];

async function open() {
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: settings.openConcurrency }, async () => {
      while (next < settings.clients) {
        const client = new SoakClient(`${settings.index}-${next++}`);
        clients.push(client);
        await client.ws.opened.catch(() => failed++);
      }
    }),
  );
  return { opened: clients.length - failed, failed, ms: performance.now() - t0 };
}

/** Open-loop sending: each client has its own phase; a late tick sends what fell due, so the offered rate holds. */
function go(seconds) {
  const periodMs = 1000 / settings.rate;
  const start = performance.now();
  const end = start + seconds * 1000;
  const due = clients.map((_, i) => start + (periodMs * i) / clients.length);
  const timer = setInterval(() => {
    const now = performance.now();
    for (let i = 0; i < clients.length; i++) {
      while (due[i] <= now && due[i] < end) {
        clients[i].send(now);
        due[i] += periodMs;
      }
    }
    if (now >= end) clearInterval(timer);
  }, TICK_MS);
  return { going: clients.length };
}

function report() {
  const now = performance.now();
  const lostAfter = now - settings.lostAfterMs;
  let pending = 0;
  let overdue = 0;
  for (const client of clients) {
    pending += client.pending.size;
    for (const sentAt of client.pending.values()) if (sentAt < lostAfter) overdue++;
  }
  const cpu = process.cpuUsage(cpuMark);
  const out = {
    ...counts,
    pending,
    overdue,
    events,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
    cpuShare: (cpu.user + cpu.system) / 1000 / (now - timeMark),
  };
  Object.assign(counts, { sent: 0, received: 0, duplicates: 0, unexpected: 0, refused: 0, cut: 0, rtts: [], ins: [], outs: [] });
  loopDelay.reset();
  cpuMark = process.cpuUsage();
  timeMark = now;
  return out;
}

async function drain(ms) {
  const deadline = performance.now() + ms;
  const pending = () => clients.reduce((n, c) => n + c.pending.size, 0);
  while (pending() > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return { pending: pending() };
}

async function close() {
  for (const client of clients) {
    client.closing = true;
    client.ws.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { closed: clients.length };
}

/** Raw `ws` echo round trips on as many connections: paced at the soak's rate, or one at a time as fast as they go. */
async function echo(url, mode, seconds) {
  const sockets = await Promise.all(
    Array.from({ length: settings.clients }, () => new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    })),
  );
  const rtts = [];
  let sent = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    sockets.map((socket, i) => new Promise((resolve) => {
      const inFlight = new Map();
      let seq = 0;
      const send = () => {
        inFlight.set(++seq, performance.now());
        sent++;
        socket.send(`e${i}.${seq}`);
      };
      socket.on('message', (data) => {
        const key = Number(String(data).slice(String(data).indexOf('.') + 1));
        rtts.push(performance.now() - inFlight.get(key));
        inFlight.delete(key);
        if (mode === 'closed' && performance.now() < end) send();
        if (performance.now() >= end && inFlight.size === 0) resolve();
      });
      if (mode === 'closed') return send();
      const periodMs = 1000 / settings.rate;
      let due = t0 + (periodMs * i) / sockets.length;
      const timer = setInterval(() => {
        const now = performance.now();
        while (due <= now && due < end) {
          send();
          due += periodMs;
        }
        if (now >= end) {
          clearInterval(timer);
          if (inFlight.size === 0) resolve();
        }
      }, TICK_MS);
    })),
  );
  const ms = performance.now() - t0;
  for (const socket of sockets) socket.close();
  return { sent, received: rtts.length, rtts, ms };
}

const commands = { open, go, report, drain, close, echo };
createInterface({ input: process.stdin }).on('line', async (line) => {
  const [name, ...args] = line.trim().split(' ');
  const command = commands[name];
  if (command === undefined) return console.log(JSON.stringify({ error: `unknown command ${name}` }));
  try {
    console.log(JSON.stringify(await command(...args.map((a) => (/^\d+(\.\d+)?$/.test(a) ? Number(a) : a)))));
  } catch (err) {
    console.log(JSON.stringify({ error: String(err?.stack ?? err) }));
  }
});
process.stdin.on('end', () => process.exit(0));
loopDelay.enable();
