/**
 * `/health` tells the truth about the replica and each polled canister, `/ready` about whether the
 * gateway takes clients, and failures are logged as coded one-line JSON events, folded when they
 * repeat.
 */
import { mkdtempSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startReplica, type RunningReplica } from '@icws/replica';
import { startGateway, type RunningGateway } from '../../packages/gateway/src/gateway';
import pingPong from '../../examples/ping-pong/canister';
import { RawClient } from '../support/raw-ws-client';

/** A TCP relay to the replica that can be taken down, brought back, or made to hold connections. */
class ReplicaLink {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #mode: 'relay' | 'hold' = 'relay';

  constructor(
    readonly port: number,
    readonly target: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.#mode = 'relay';
    if (this.#server) return;
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      if (this.#mode === 'hold') return;
      const upstream = createConnectionTo(this.target);
      this.#sockets.add(upstream);
      upstream.on('close', () => this.#sockets.delete(upstream));
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#dropAll();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Accepts connections but relays nothing, so requests hang. */
  hold(): void {
    this.#mode = 'hold';
    this.#dropAll();
  }

  #dropAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }
}

function createConnectionTo(port: number): Socket {
  return connect(port, '127.0.0.1');
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const httpOf = (gateway: RunningGateway, path: string) => new URL(path, gateway.url.href.replace(/^ws/, 'http'));
const getJson = async (gateway: RunningGateway, path: string) => {
  const response = await fetch(httpOf(gateway, path));
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};

/** Asks `path` until `check` holds (the replica probe is cached for a second). */
async function until(gateway: RunningGateway, path: string, check: (answer: { status: number; body: Record<string, any> }) => boolean) {
  for (let i = 0; i < 100; i++) {
    const answer = await getJson(gateway, path);
    if (check(answer)) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} never answered as expected: ${JSON.stringify(await getJson(gateway, path))}`);
}

/** Pino output, one parsed object per line. */
function capturedLogger() {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const base = { gatewayAddress: '127.0.0.1:0', prometheusEndpoint: null, pollingIntervalMs: 50 } as const;
const dataDir = () => mkdtempSync(join(tmpdir(), 'icws-gw-health-'));

describe('a gateway whose replica is not there yet', () => {
  let gateway: RunningGateway;
  let replica: RunningReplica | undefined;
  afterEach(async () => {
    await gateway?.close();
    await replica?.close();
  });

  it('answers 503 naming the replica, and 200 once the replica is up', async () => {
    const port = await freePort();
    gateway = await startGateway({ ...base, icNetworkUrl: `http://127.0.0.1:${port}`, dataDir: dataDir(), logLevel: 'silent' });
    const down = await getJson(gateway, '/health');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', replica: { url: `http://127.0.0.1:${port}`, reachable: false } });
    expect(down.body.replica.lastError).toMatch(new RegExp(`^ICWS_ERR_REPLICA_UNAVAILABLE: cannot reach the replica at http://127.0.0.1:${port}`));
    expect(await getJson(gateway, '/ready')).toEqual({ status: 503, body: { status: 'starting' } });

    replica = await startReplica({ port, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
    const up = await until(gateway, '/health', (answer) => answer.status === 200);
    expect(up.body).toMatchObject({ status: 'ok', replica: { reachable: true }, canisters: {} });
    expect(await until(gateway, '/ready', (answer) => answer.status === 200)).toEqual({ status: 200, body: { status: 'ready' } });
  });
});

describe('a gateway whose replica goes away and comes back', () => {
  let replica: RunningReplica;
  let link: ReplicaLink;
  let gateway: RunningGateway;
  const log = capturedLogger();

  beforeAll(async () => {
    replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
    link = new ReplicaLink(await freePort(), Number(replica.url.port));
    await link.up();
    gateway = await startGateway({ ...base, icNetworkUrl: link.url, dataDir: dataDir(), logger: log.logger });
  });
  afterAll(async () => {
    await link.up();
    await gateway.close();
    await link.down();
    await replica.close();
  });

  it('is ok, then 503 with the failing canister, logged once with its code, then ok again', async () => {
    const canister = replica.canisterIds.ping_pong.toText();
    const client = new RawClient(gateway.url.href, replica.canisterIds.ping_pong, replica.replica.rootKey.der);
    await client.handshake();
    await client.open();
    await client.receive();
    const ok = await until(gateway, '/health', (answer) => answer.body.canisters?.[canister]?.status === 'ok');
    expect(ok.status).toBe(200);

    await link.down();
    const failing = await until(gateway, '/health', (answer) => answer.body.canisters?.[canister]?.status === 'failing' && answer.body.replica.reachable === false);
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({ status: 'unavailable', canisters: { [canister]: { status: 'failing', since: expect.any(String) } } });
    expect(failing.body.canisters[canister].lastError).toMatch(/^ICWS_ERR_REPLICA_UNAVAILABLE: /);
    // Let the poller fail several more times (50 ms interval, backing off).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const failures = await gateway.metrics.errors.get();
    const pollFailures = failures.values.find((v) => v.labels.kind === 'poll')?.value ?? 0;
    expect(pollFailures).toBeGreaterThan(2);

    await link.up();
    const back = await until(gateway, '/health', (answer) => answer.status === 200);
    expect(back.body.canisters[canister].status).toBe('ok');

    const pollLines = log.lines.filter((line) => line.msg.startsWith('poll failed'));
    expect(pollLines).toHaveLength(1);
    expect(pollLines[0]).toMatchObject({ level: 40, code: 'ICWS_ERR_REPLICA_UNAVAILABLE', canister });
    expect(log.lines.find((line) => line.msg.startsWith('polls succeed again'))).toMatchObject({ canister, unlogged: pollFailures - 1 });
    for (const line of log.lines) {
      expect(line).not.toHaveProperty('stack');
      expect(line).not.toHaveProperty('err.stack');
      expect(line.msg).not.toContain('\n');
      expect(line.msg).not.toMatch(/\sat \S+:\d+:\d+/);
      if (line.level >= 40) expect(line.code).toMatch(/^ICWS_ERR_/);
    }
    client.socket.close();
  });

  it('answers /ready 503 while it drains', async () => {
    expect(await getJson(gateway, '/ready')).toEqual({ status: 200, body: { status: 'ready' } });
    const client = new RawClient(gateway.url.href, replica.canisterIds.ping_pong, replica.replica.rootKey.der);
    await client.handshake();
    await client.open();
    await client.receive();
    // The session's ws_close hangs on the held link, so the drain lasts until the link relays again.
    link.hold();
    const closing = gateway.close();
    expect(gateway.readiness).toBe('draining');
    expect(await getJson(gateway, '/ready')).toEqual({ status: 503, body: { status: 'draining' } });
    // Dropping the held connections fails the ws_close, which ends the drain.
    await link.down();
    await closing;
    await link.up();
  });
});
