/**
 * Runs the chat bot against the stack of `npm start`: `npm run chat-bot` (in a second terminal).
 * It records the room to `chat.sqlite` (ICWS_CHAT_DB) until Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatRecorder } from './recorder';

const ids = JSON.parse(readFileSync(join(__dirname, '../../.icws/canister_ids.json'), 'utf8')) as Record<string, string>;
const recorder = new ChatRecorder({
  gatewayUrl: process.env.ICWS_GATEWAY_URL ?? 'ws://127.0.0.1:8080',
  networkUrl: process.env.ICWS_NETWORK_URL ?? 'http://127.0.0.1:4943',
  canisterId: ids.chat,
  databasePath: process.env.ICWS_CHAT_DB ?? 'chat.sqlite',
});
recorder.socket.addEventListener('open', () => console.log(`chat bot connected (session ${recorder.sessions})`));
recorder.socket.addEventListener('message', () => console.log(`stored ${recorder.messages().length} messages`));
process.once('SIGINT', () => {
  recorder.close();
  process.exit(0);
});
