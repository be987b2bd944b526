import { randomBytes } from 'node:crypto';
import { Principal } from '@icp-sdk/core/principal';
import { CertifiedMap, encodeUleb128, fork, labeled, leaf, lookupPath, reconstruct, type HashTree } from '@icws/backend-cdk';
import type { CallOutcome } from './canister/outcome';
import { RequestStatuses } from './request-statuses';

const utf8 = (s: string) => new TextEncoder().encode(s);
const alice = Principal.fromText('2vxsx-fae');
const bob = Principal.selfAuthenticating(new Uint8Array(44).fill(7));
const replied = (text: string): CallOutcome => ({ status: 'replied', reply: utf8(text) });
const rejectedOutcome: CallOutcome = { status: 'rejected', rejectCode: 5, rejectMessage: 'trapped', errorCode: 'IC0503' };

/** The status tree the IC certifies for `outcome`, as a CertifiedMap value. */
function statusTree(outcome: CallOutcome | 'done'): HashTree {
  if (outcome === 'done') return labeled(utf8('status'), leaf(utf8('done')));
  if (outcome.status === 'replied') return fork(labeled(utf8('reply'), leaf(outcome.reply)), labeled(utf8('status'), leaf(utf8('replied'))));
  return fork(
    fork(labeled(utf8('error_code'), leaf(utf8(outcome.errorCode))), labeled(utf8('reject_code'), leaf(encodeUleb128(outcome.rejectCode)))),
    fork(labeled(utf8('reject_message'), leaf(utf8(outcome.rejectMessage))), labeled(utf8('status'), leaf(utf8('rejected')))),
  );
}

describe('RequestStatuses', () => {
  it('certifies what a CertifiedMap of the same statuses certifies, through inserts and prunes', () => {
    const statuses = new RequestStatuses();
    const reference = new CertifiedMap();
    const ids: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const id = randomBytes(32);
      const outcome = i % 7 === 0 ? rejectedOutcome : replied(`reply ${i}`);
      statuses.record(id, alice, BigInt(i), outcome);
      reference.set(id, statusTree(outcome));
      ids.push(id);
      if (i % 50 === 49) expect(statuses.rootHash()).toEqual(reference.rootHash());
    }
    statuses.pruneExpired(120n);
    for (const id of ids.slice(0, 120)) reference.delete(id);
    expect(statuses.size).toBe(180);
    expect(statuses.rootHash()).toEqual(reference.rootHash());

    const asked = [ids[0], ids[150], ids[299], randomBytes(32)];
    const witness = statuses.witness(asked);
    expect(reconstruct(witness)).toEqual(reference.rootHash());
    expect(witness).toEqual(reference.witnessKeys(asked));
    expect(lookupPath([ids[150], 'reply'], witness)).toMatchObject({ status: 'Found', value: utf8('reply 150') });
    expect(lookupPath([ids[0], 'status'], witness)).toMatchObject({ status: 'Absent' });
  });

  it('keeps the sender of each status, and forgets it at expiry', () => {
    const statuses = new RequestStatuses();
    const id = randomBytes(32);
    statuses.record(id, bob, 10n, replied('ok'));
    expect(statuses.senderOf(id)?.toText()).toBe(bob.toText());
    expect(statuses.has(id)).toBe(true);
    statuses.pruneExpired(10n);
    expect(statuses.has(id)).toBe(true);
    statuses.pruneExpired(11n);
    expect(statuses.has(id)).toBe(false);
    expect(statuses.senderOf(id)).toBeUndefined();
    expect(statuses.size).toBe(0);
    expect(statuses.replyBytes).toBe(0);
  });

  it('turns the oldest statuses done when their replies pass the byte bound, and certifies them so', () => {
    const statuses = new RequestStatuses({ maxReplyBytes: 25 });
    const reference = new CertifiedMap();
    const ids = Array.from({ length: 4 }, () => randomBytes(32));
    ids.forEach((id, i) => {
      statuses.record(id, alice, 100n, replied('0123456789'));
      reference.set(id, statusTree(replied('0123456789')));
      if (i >= 2) reference.set(ids[i - 2], statusTree('done'));
    });
    expect(statuses.replyBytes).toBe(20);
    expect(ids.map((id) => statuses.statusOf(id))).toEqual(['done', 'done', 'replied', 'replied']);
    expect(statuses.rootHash()).toEqual(reference.rootHash());
    expect(lookupPath([ids[0], 'status'], statuses.witness([ids[0]]))).toMatchObject({ status: 'Found', value: utf8('done') });
    // A done status is still a status: the request is not executed again until its expiry.
    expect(statuses.size).toBe(4);
  });

  it('replaces the status of a request recorded again', () => {
    const statuses = new RequestStatuses();
    const id = randomBytes(32);
    statuses.record(id, alice, 5n, replied('first'));
    statuses.record(id, alice, 5n, replied('second'));
    expect(statuses.size).toBe(1);
    expect(statuses.replyBytes).toBe(6);
    const reference = new CertifiedMap().set(id, statusTree(replied('second')));
    expect(statuses.rootHash()).toEqual(reference.rootHash());
    statuses.pruneExpired(6n);
    expect(statuses.size).toBe(0);
  });

  it('prunes in O(expired): the statuses not yet expired are not visited', () => {
    const statuses = new RequestStatuses();
    for (let i = 0; i < 5000; i++) statuses.record(randomBytes(32), alice, BigInt(i), replied('x'));
    statuses.pruneExpired(4000n);
    expect(statuses.size).toBe(1000);
    statuses.pruneExpired(4000n);
    expect(statuses.size).toBe(1000);
    statuses.pruneExpired(10_000n);
    expect(statuses.size).toBe(0);
    expect(statuses.replyBytes).toBe(0);
  });
});
