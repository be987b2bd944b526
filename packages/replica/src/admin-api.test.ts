/** The admin API: time and rounds over JSON on a loopback port, refusals with codes. */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { defineCanister, query } from '@icws/backend-cdk';
import { AdminApiServer, isLoopback } from './admin-api';
import { SystemClock } from './clock';
import { startReplica, type RunningReplica } from './launch';

const alice = Principal.fromText('2vxsx-fae');
const ticker = defineCanister((ic) => {
  let ticks = 0n;
  ic.setTimerInterval(1_000, () => void ticks++);
  return { ticks: query([], [IDL.Nat], () => ticks) };
});

async function call(base: URL, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(path, base), { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('AdminApiServer', () => {
  describe('on a manual clock', () => {
    let running: RunningReplica;
    let admin: URL;
    beforeEach(async () => {
      running = await startReplica({ port: 0, signer: 'inline', verifier: 'inline', log: () => undefined, admin: { port: 0 }, canisters: [{ name: 'ticker', module: ticker }] });
      admin = running.adminUrl!;
      await running.replica.tick(); // the install's round has run: the clock stands still from here
    });
    afterEach(() => running.close());

    const ticks = async () => {
      const outcome = await running.replica.query(running.canisterIds.ticker, 'ticks', new Uint8Array(IDL.encode([], [])), alice);
      if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
      return IDL.decode([IDL.Nat], outcome.reply)[0];
    };

    it('reads the time of the manual clock as a decimal string of nanoseconds', async () => {
      const { status, json } = await call(admin, 'GET', '/v1/time');
      expect(status).toBe(200);
      expect(json).toEqual({ nanosSinceEpoch: running.replica.clock.nowNs().toString(), clock: 'manual' });
    });

    it('advances time by ms or nanos and answers once the timers that became due have run', async () => {
      const before = running.replica.clock.nowNs();
      expect(await call(admin, 'POST', '/v1/time/advance', { ms: 999 })).toEqual({ status: 200, json: { nanosSinceEpoch: (before + 999_000_000n).toString() } });
      expect(await ticks()).toBe(0n);
      expect((await call(admin, 'POST', '/v1/time/advance', { nanos: '1000000' })).status).toBe(200);
      expect(await ticks()).toBe(1n);
    });

    it('sets time forward, and refuses to set it back', async () => {
      const target = running.replica.clock.nowNs() + 5_000_000_000n;
      expect(await call(admin, 'POST', '/v1/time', { nanosSinceEpoch: target.toString() })).toEqual({ status: 200, json: { nanosSinceEpoch: target.toString() } });
      expect(await ticks()).toBe(1n);
      const back = await call(admin, 'POST', '/v1/time', { nanosSinceEpoch: (target - 1n).toString() });
      expect(back.status).toBe(409);
      expect(back.json).toMatchObject({ code: 'ICWS_ERR_TIME_BACKWARDS', message: expect.stringContaining('time only moves forward') });
    });

    it('runs a round on demand, 1 ns after the previous one when the clock stands still', async () => {
      const last = running.replica.roundTimeNs;
      const { status, json } = await call(admin, 'POST', '/v1/tick');
      expect(status).toBe(200);
      expect(json).toEqual({ roundNanosSinceEpoch: (last + 1n).toString() });
    });

    it.each([
      ['POST', '/v1/time/advance', '{not json', 400, 'ICWS_ERR_ADMIN_BAD_REQUEST', 'the body is not JSON'],
      ['POST', '/v1/time/advance', { ms: -1 }, 400, 'ICWS_ERR_ADMIN_BAD_REQUEST', 'give { "ms": <non-negative number> }'],
      ['POST', '/v1/time', { nanosSinceEpoch: 1.5 }, 400, 'ICWS_ERR_ADMIN_BAD_REQUEST', '"nanosSinceEpoch" must be a non-negative integer'],
      ['POST', '/v1/time', [], 400, 'ICWS_ERR_ADMIN_BAD_REQUEST', 'the body must be a JSON object'],
      ['GET', '/v1/tick', undefined, 404, 'ICWS_ERR_ADMIN_NOT_FOUND', 'no admin route GET /v1/tick'],
    ])('answers %s %s with %j by %i %s', async (method, path, body, status, code, message) => {
      const answer = await call(admin, method, path, body);
      expect(answer.status).toBe(status);
      expect(answer.json).toMatchObject({ code, message: expect.stringContaining(message) });
    });
  });

  describe('on the system clock', () => {
    it('reads the time but refuses to move it', async () => {
      const running = await startReplica({ port: 0, signer: 'inline', verifier: 'inline', log: () => undefined, admin: { port: 0 }, clock: new SystemClock() });
      try {
        expect((await call(running.adminUrl!, 'GET', '/v1/time')).json).toMatchObject({ clock: 'system' });
        const answer = await call(running.adminUrl!, 'POST', '/v1/time/advance', { ms: 1 });
        expect(answer.status).toBe(409);
        expect(answer.json).toMatchObject({ code: 'ICWS_ERR_CLOCK_NOT_CONTROLLABLE', message: expect.stringContaining('--clock manual') });
      } finally {
        await running.close();
      }
    });
  });

  describe('#listen', () => {
    it('refuses an address that is not loopback', async () => {
      await expect(startReplica({ port: 0, signer: 'inline', verifier: 'inline', log: () => undefined, admin: { host: '0.0.0.0', port: 0 } })).rejects.toMatchObject({
        code: 'ICWS_ERR_ADMIN_ADDRESS',
        message: expect.stringContaining('not on 0.0.0.0'),
      });
      await expect(new AdminApiServer(undefined as never).listen({ host: '192.168.1.10', port: 0 })).rejects.toMatchObject({ code: 'ICWS_ERR_ADMIN_ADDRESS' });
    });
  });
});

describe('isLoopback', () => {
  it.each([['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['[::1]', true], ['localhost', true], ['0.0.0.0', false], ['::', false], ['10.0.0.1', false], ['example.com', false]])(
    '%s → %s',
    (host, expected) => expect(isLoopback(host)).toBe(expected),
  );
});
