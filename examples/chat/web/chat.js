// The chat room page: an IcWebSocket to the chat canister through the gateway. Every message shown
// carries a certificate of the canister, checked by the client SDK before it gets here: the SDK
// delivers nothing else, which is why every message is marked verified. When the connection is
// lost (the "Restart gateway" button restarts the gateway), the SDK reconnects and resumes the
// session: the messages missed meanwhile arrive, and what was typed meanwhile is sent once.
import { IcWebSocket, createWsConfig, generateRandomIdentity } from '/icws-client.js';
import { idlFactory } from '/chat.did.js';

/** How often the online list is asked for again, besides on every join and leave. */
const MEMBERS_POLL_MS = 3_000;

const config = await (await fetch('/config.json')).json();
const $ = (id) => document.getElementById(id);
const panel = $('connection');
const list = $('messages');
const input = $('text');
const button = $('send');

const identity = generateRandomIdentity();
const me = identity.getPrincipal().toText();
$('gateway-url').textContent = config.gatewayUrl;
$('canister-id').textContent = config.canisterId;
$('principal').textContent = me;

/** Connection state: `connecting` → `open` ⇄ `reconnecting` → … → `closed`. */
let state = 'connecting';
let attempts = 0;
/** Resumes so far and the messages they recovered in all. */
let resumes = 0;
let recovered = 0;
/** Texts sent and not yet seen back from the canister, oldest first, with when they were sent. */
const pending = [];
/** Ids of the room's messages shown, so a history replayed after a reconnection shows nothing twice. */
const shown = new Set();

function setState(next) {
  if (next === state) return;
  state = next;
  panel.dataset.state = next;
  $('state').textContent = next;
  // While reconnecting, what is typed waits in the SDK's queue and goes out once resumed.
  input.disabled = button.disabled = next !== 'open' && next !== 'reconnecting';
}

function showError(code, message) {
  $('last-error').textContent = `${code}: ${message}`;
}

function show(message, delivery) {
  const id = message.id.toString();
  if (shown.has(id)) return;
  shown.add(id);
  const kind = Object.keys(message.kind)[0];
  const sender = message.sender[0]?.toText() ?? '';
  const item = document.createElement('li');
  item.dataset.kind = kind;
  item.dataset.id = id;
  if (kind === 'Message') {
    const who = document.createElement('span');
    who.className = 'sender';
    who.textContent = sender === me ? 'you' : sender.slice(0, 5);
    who.title = sender;
    item.append(who, document.createTextNode(message.text), meta(message, delivery, sender === me ? latencyOf(message.text) : undefined));
    if (sender === me) item.classList.add('own');
  } else {
    item.classList.add('event');
    item.textContent = message.text;
    item.append(meta(message, delivery));
    refreshMembers();
  }
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

/**
 * The line under a message: verified, with the session's sequence number and the time of the
 * certificate that covered it (both from the SDK's message event), the room's number for it, when
 * the canister relayed it, the round trip.
 */
function meta(message, delivery, latencyMs) {
  const line = document.createElement('span');
  line.className = 'meta';
  const verified = document.createElement('span');
  verified.className = 'verified';
  const certifiedAt = new Date(delivery.certificateTimeMs).toLocaleTimeString();
  verified.textContent = `✓ certified · seq ${delivery.sequenceNum} · certificate of ${certifiedAt}`;
  verified.title = "Delivered with a certificate of the canister that the client SDK verified: this session's sequence number for the message and the certificate's time";
  const relayedAt = new Date(Number(message.timestamp / 1_000_000n)).toLocaleTimeString();
  // The room's number and the canister's timestamp come from inside the message (certified with
  // it); the sequence number is per session and restarts with a new one.
  const room = document.createElement('span');
  room.title = "The room's number for this message and when the canister relayed it, both inside the certified message";
  room.textContent = `#${message.id} · relayed by the canister at ${relayedAt}`;
  line.append(verified, room);
  if (latencyMs !== undefined) {
    const latency = document.createElement('span');
    latency.className = 'latency';
    latency.textContent = `round trip ${latencyMs} ms`;
    line.append(latency);
  }
  return line;
}

/** @returns the milliseconds since the oldest pending send of `text`, which is now settled. */
function latencyOf(text) {
  const index = pending.findIndex((sent) => sent.text === text);
  if (index === -1) return undefined; // sent by this principal before a reload: no start time
  const [sent] = pending.splice(index, 1);
  return Math.round(performance.now() - sent.at);
}

async function refreshMembers() {
  try {
    const response = await fetch('/members.json', { cache: 'no-store' });
    if (!response.ok) return;
    const members = await response.json();
    const online = $('online');
    online.replaceChildren(
      ...members.map((principal) => {
        const item = document.createElement('li');
        item.textContent = principal;
        item.dataset.principal = principal;
        if (principal === me) item.classList.add('own');
        return item;
      }),
    );
    $('online-count').textContent = `(${members.length})`;
  } catch {
    // The next poll tries again; the online list is a convenience, not part of the chat.
  }
}

const ws = new IcWebSocket(config.gatewayUrl, undefined, createWsConfig({
  canisterId: config.canisterId,
  idlFactory,
  identity,
  // The page's server passes /api/* to the replica, so the root key is fetched from this origin.
  networkUrl: location.origin,
  reconnect: true,
}));
ws.onopen = () => {
  setState('open');
  refreshMembers();
};
ws.onmessage = (event) => show(event.data, event);
ws.onerror = (event) => showError(event.error?.code ?? 'error', event.message);
ws.onclose = (event) => {
  setState('closed');
  if (event.error) showError(event.error.code, event.error.message);
  else showError(`close ${event.code}`, event.reason || 'closed');
};
ws.addEventListener('reconnecting', (event) => {
  attempts = event.attempt;
  $('attempts').textContent = `${attempts} (next in ${Math.round(event.delayMs)} ms)`;
  if (event.error) showError(event.error.code, event.error.message);
  else showError(`close ${event.code}`, event.reason || 'connection ended');
  setState('reconnecting');
});
ws.addEventListener('resumed', (event) => {
  resumes++;
  recovered += event.recovered;
  $('session').textContent = `resumed ${resumes}×`;
  $('recovered').textContent = `${event.recovered} (${recovered} in all)`;
  $('last-error').textContent = '';
});
ws.addEventListener('newsession', (event) => {
  $('session').textContent = `new: ${event.reason}`;
  showError('new session', event.message);
  // Sends not echoed before the session was lost will not be: their round trip is unknown.
  pending.length = 0;
});
$('restart-gateway').addEventListener('click', async () => {
  const restart = $('restart-gateway');
  restart.disabled = true;
  try {
    const response = await fetch('/restart-gateway', { method: 'POST' });
    if (!response.ok) showError(`restart ${response.status}`, await response.text());
  } finally {
    restart.disabled = false;
  }
});
setInterval(refreshMembers, MEMBERS_POLL_MS);

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  pending.push({ text, at: performance.now() });
  ws.send({ id: 0n, text, timestamp: 0n, sender: [], kind: { Message: null } });
  input.value = '';
});
