// The chat room page: an IcWebSocket to the chat canister through the gateway. Every message shown
// carries a certificate of the canister, checked by the client SDK before it gets here.
import { IcWebSocket, createWsConfig, generateRandomIdentity } from '/icws-client.js';
import { idlFactory } from '/chat.did.js';

const config = await (await fetch('/config.json')).json();
const status = document.getElementById('status');
const list = document.getElementById('messages');
const input = document.getElementById('text');
const button = document.getElementById('send');

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
  input.disabled = button.disabled = state !== 'open';
}

function show(message) {
  const item = document.createElement('li');
  const kind = Object.keys(message.kind)[0];
  const sender = message.sender[0]?.toText() ?? '';
  item.dataset.kind = kind;
  if (kind === 'Message') {
    const who = document.createElement('span');
    who.className = 'sender';
    who.textContent = sender.slice(0, 5);
    who.title = sender;
    item.append(who, document.createTextNode(message.text));
  } else {
    item.className = 'event';
    item.textContent = message.text;
  }
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

const identity = generateRandomIdentity();
const ws = new IcWebSocket(config.gatewayUrl, undefined, createWsConfig({
  canisterId: config.canisterId,
  idlFactory,
  identity,
  // The page's server passes /api/* to the replica, so the root key is fetched from this origin.
  networkUrl: location.origin,
  reconnect: true,
}));
ws.onopen = () => setStatus('open', `connected as ${identity.getPrincipal().toText()}`);
ws.onmessage = (event) => show(event.data);
ws.onerror = (event) => setStatus('error', `error: ${event.message}`);
ws.onclose = (event) => setStatus('closed', `closed (${event.code}${event.reason ? ': ' + event.reason : ''})`);
ws.addEventListener('reconnecting', () => setStatus('connecting', 'reconnecting…'));

document.getElementById('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  ws.send({ id: 0n, text, timestamp: 0n, sender: [], kind: { Message: null } });
  input.value = '';
});
