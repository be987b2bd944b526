import { Writable } from 'node:stream';
import pino from 'pino';
import { ErrorLog, REPEAT_WINDOW_MS, describeError } from './error-log';
import { GatewayError } from './errors';
import { FakeClock } from './testing/fake-clock';

function setup(level = 'info') {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const clock = new FakeClock();
  return { lines, clock, errors: new ErrorLog(pino({ level }, stream), clock) };
}

const down = () => new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', 'cannot reach the replica at http://127.0.0.1:1 (ECONNREFUSED)');

describe('ErrorLog', () => {
  it('logs a failure once with its code, then one summary line per 30 s of repeats', async () => {
    const { lines, clock, errors } = setup();
    for (let second = 0; second < 75; second++) {
      errors.report('warn', 'canister:a', down(), 'poll failed', { canister: 'a' });
      await clock.advance(1_000);
    }
    expect(lines.map((line) => [line.code, line.repeated, line.msg])).toEqual([
      ['ICWS_ERR_REPLICA_UNAVAILABLE', undefined, 'poll failed: cannot reach the replica at http://127.0.0.1:1 (ECONNREFUSED)'],
      ['ICWS_ERR_REPLICA_UNAVAILABLE', 30, `poll failed: cannot reach the replica at http://127.0.0.1:1 (ECONNREFUSED) (repeated 30 times in the last ${REPEAT_WINDOW_MS / 1000} s)`],
      ['ICWS_ERR_REPLICA_UNAVAILABLE', 30, `poll failed: cannot reach the replica at http://127.0.0.1:1 (ECONNREFUSED) (repeated 30 times in the last ${REPEAT_WINDOW_MS / 1000} s)`],
    ]);
    expect(lines[0]).toMatchObject({ level: 40, canister: 'a' });
  });

  it('folds per subject and per code', () => {
    const { lines, errors } = setup();
    errors.report('warn', 'canister:a', down(), 'poll failed');
    errors.report('warn', 'canister:b', down(), 'poll failed');
    errors.report('warn', 'canister:a', new GatewayError('ICWS_ERR_POLL_TIMEOUT', 'slow'), 'poll failed');
    errors.report('warn', 'canister:a', down(), 'poll failed');
    expect(lines.map((line) => line.code)).toEqual(['ICWS_ERR_REPLICA_UNAVAILABLE', 'ICWS_ERR_REPLICA_UNAVAILABLE', 'ICWS_ERR_POLL_TIMEOUT']);
  });

  it('says on recovery how many failures went unlogged, and logs the next failure again', () => {
    const { lines, errors } = setup();
    for (let i = 0; i < 5; i++) errors.report('warn', 'canister:a', down(), 'poll failed');
    expect(errors.recovered('canister:a', 'polls succeed again')).toBe(true);
    expect(errors.recovered('canister:a', 'polls succeed again')).toBe(false);
    errors.report('warn', 'canister:a', down(), 'poll failed');
    expect(lines.map((line) => [line.msg, line.unlogged])).toEqual([
      [expect.stringMatching(/^poll failed/), undefined],
      ['polls succeed again (after 4 more failures not logged)', 4],
      [expect.stringMatching(/^poll failed/), undefined],
    ]);
  });

  it('keeps stacks to debug, and gives uncoded errors ICWS_ERR_INTERNAL on one line', () => {
    const info = setup('info');
    info.errors.report('error', 'x', new Error('two\n  lines'), 'failed');
    expect(info.lines).toEqual([expect.objectContaining({ code: 'ICWS_ERR_INTERNAL', msg: 'failed: two lines' })]);
    expect(info.lines[0]).not.toHaveProperty('stack');
    const debug = setup('debug');
    debug.errors.report('error', 'x', new Error('boom'), 'failed');
    expect(debug.lines[1]).toMatchObject({ level: 20, code: 'ICWS_ERR_INTERNAL', stack: expect.stringContaining('Error: boom') });
    const agentStyle = new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', 'cannot fetch the root key: TypeError: fetch failed\n    at node:internal/deps/undici/undici:1:1\n    at async HttpAgent.status (/x/agent.js:2:2)');
    expect(describeError(agentStyle)).toEqual({ code: 'ICWS_ERR_REPLICA_UNAVAILABLE', message: 'cannot fetch the root key: TypeError: fetch failed' });
    expect(describeError('plain')).toEqual({ code: 'ICWS_ERR_INTERNAL', message: 'plain' });
  });
});
