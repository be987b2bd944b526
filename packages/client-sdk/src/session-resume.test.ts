/**
 * Session asking to resume an earlier one, against a scripted gateway: what its signed ws_open
 * asks, how it reads the canister's answer in the open message, and how both numberings go on.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import {
  ackMessage,
  decodeWsOpenArgs,
  encodeGatewayHandshake,
  freshSession,
  openMessage,
  resumedSession,
  type ClientKey,
} from '@icws/protocol';
import { ResendBuffer } from './resend-buffer';
import { Session, type OpenOutcome, type ResumeRequest, type SessionEnd } from './session';
import { CanisterFrames, RecordingSigner, ScriptedSocket } from './test-support/scripted-gateway';

const gateway = Ed25519KeyIdentity.generate().getPrincipal();
const client = Ed25519KeyIdentity.generate().getPrincipal();
const previousKey: ClientKey = { client_principal: client, client_nonce: 1n };
const clientKey: ClientKey = { client_principal: client, client_nonce: 2n };
const request: ResumeRequest = { clientKey: previousKey, lastReceived: 7n, lastSent: 5n };

const settle = () => jest.advanceTimersByTimeAsync(0);

interface Harness {
  session: Session;
  socket: ScriptedSocket;
  signer: RecordingSigner;
  frames: CanisterFrames;
  outcomes: OpenOutcome[];
  messages: string[];
  ended: SessionEnd[];
}

/** A session through the handshake, its ws_open signed, awaiting the open message; `null` asks no resume. */
async function opening(resume: ResumeRequest | null = request, sent?: ResendBuffer): Promise<Harness> {
  const signer = new RecordingSigner(client);
  const h: Omit<Harness, 'session' | 'socket'> = { signer, frames: new CanisterFrames(gateway, clientKey), outcomes: [], messages: [], ended: [] };
  const session = new Session({
    url: 'ws://gateway.test',
    WebSocket: ScriptedSocket,
    signer,
    verifier: { verify: async () => ({ certificateTimeMs: 0 }) },
    clientNonce: clientKey.client_nonce,
    resume: resume ?? undefined,
    sent,
    openTimeoutMs: 60_000,
    ackTimeoutMs: 330_000,
    silenceTimeoutMs: 330_000,
    onOpen: (outcome) => h.outcomes.push(outcome),
    onMessage: (content) => h.messages.push(new TextDecoder().decode(content)),
    onEnd: (end) => h.ended.push(end),
  });
  const socket = ScriptedSocket.last;
  socket.accept();
  socket.deliver(encodeGatewayHandshake({ gateway_principal: gateway }));
  await settle();
  return { ...h, session, socket };
}

/** Lets the session fail with an error of `code`. */
async function failure(h: Harness, code: string): Promise<string> {
  await settle();
  expect(h.session.state).toBe('closing');
  h.socket.closeFromServer(h.socket.closedWith?.code ?? 1006);
  expect(h.ended[0]?.error?.code).toBe(code);
  return h.ended[0]!.error!.message;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('Session with a resume request', () => {
  it('asks in its signed ws_open to resume the earlier session from the last message it received', async () => {
    const h = await opening();
    expect(h.signer.calls[0]!.method).toBe('ws_open');
    expect(decodeWsOpenArgs(h.signer.calls[0]!.arg)).toEqual({
      client_nonce: 2n,
      gateway_principal: gateway,
      resume: [{ client_key: previousKey, last_incoming_sequence_num: 7n }],
    });
  });

  it('asks nothing without one: its ws_open is the upstream client’s', async () => {
    const h = await opening(null);
    expect(decodeWsOpenArgs(h.signer.calls[0]!.arg)).toEqual({ client_nonce: 2n, gateway_principal: gateway });
    h.socket.deliver(h.frames.service(1n, openMessage(clientKey)));
    await settle();
    expect(h.outcomes).toEqual([{ kind: 'new' }]);
  });

  it('goes on with both numberings when the canister resumes it', async () => {
    const h = await opening();
    // The open message follows message 7, the last the client received; two missed ones follow.
    h.socket.deliver(h.frames.service(8n, openMessage(clientKey, resumedSession(2n, 3n))));
    h.socket.deliver(h.frames.app(9n, 'missed 1'));
    h.socket.deliver(h.frames.app(10n, 'missed 2'));
    await settle();
    expect(h.session.state).toBe('open');
    expect(h.outcomes).toEqual([{ kind: 'resumed', recovered: 2, lastIncoming: 3n }]);
    expect(h.messages).toEqual(['missed 1', 'missed 2']);
    // The canister received the client's messages up to 3: the next one is 4.
    h.session.send(Uint8Array.of(1));
    await settle();
    expect(h.signer.messages().map((m) => [m.client_key.client_nonce, m.sequence_num])).toEqual([[2n, 4n]]);
    expect(h.session.resumePoint()).toEqual({ clientKey, lastReceived: 10n, lastSent: 4n });
    expect(h.session.opened).toBe(true);
  });

  it('starts again from 1 when the canister gives a fresh session, saying why', async () => {
    const h = await opening();
    h.socket.deliver(h.frames.service(1n, openMessage(clientKey, freshSession('MessagesDropped'))));
    await settle();
    expect(h.outcomes).toEqual([{ kind: 'fresh', reason: 'MessagesDropped' }]);
    h.session.send(Uint8Array.of(1));
    await settle();
    expect(h.signer.messages().map((m) => m.sequence_num)).toEqual([1n]);
  });

  it('takes an open message that does not answer (a canister that knows no resumes) as a fresh session', async () => {
    const h = await opening();
    h.socket.deliver(h.frames.service(1n, openMessage(clientKey)));
    await settle();
    expect(h.outcomes).toEqual([{ kind: 'fresh', reason: 'NotSupported' }]);
  });

  it('refuses a resumed open message that does not follow the last message received', async () => {
    const h = await opening();
    h.socket.deliver(h.frames.service(1n, openMessage(clientKey, resumedSession(0n, 0n))));
    expect(await failure(h, 'ICWS_ERR_SEQUENCE_MISMATCH')).toMatch(/expected message 8 from the canister, got message 1/);
  });

  it('refuses a canister that claims more of the client’s messages than it sent', async () => {
    const h = await opening();
    h.socket.deliver(h.frames.service(8n, openMessage(clientKey, resumedSession(0n, 6n))));
    expect(await failure(h, 'ICWS_ERR_BAD_SERVICE_MESSAGE')).toMatch(/having received message 6 from it, but only 5 were sent/);
  });

  it('keeps its application messages in the resend buffer until the canister acknowledges them', async () => {
    const sent = new ResendBuffer(10, 1_000);
    const h = await opening(null, sent);
    h.socket.deliver(h.frames.service(1n, openMessage(clientKey)));
    await settle();
    h.session.send(Uint8Array.of(1));
    h.session.send(Uint8Array.of(2));
    await settle();
    h.socket.deliver(h.frames.service(2n, ackMessage(1n)));
    await settle();
    // The keep-alive answering the ack is a service message: not kept.
    expect(sent.takeAfter(0n)).toEqual({ messages: [Uint8Array.of(2)], lost: 0 });
  });
});
