/**
 * The start-up self-test: checks that an HTTP request and a WebSocket handshake sent to the
 * gateway's public URL (through its reverse proxy, say) reach this gateway.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import { errorText } from './error-log';
import { GatewayError } from './errors';

/** The path of the self-test's handshake; only a handshake carrying the gateway's token is answered. */
export const SELF_TEST_PATH = '/.well-known/icws-self-test';
const STEP_TIMEOUT_MS = 5_000;

/** The outcome shown on `/health` as `self_test`. */
export type SelfTestResult =
  | { readonly status: 'running'; readonly url: string }
  | { readonly status: 'passed'; readonly url: string }
  | { readonly status: 'failed'; readonly url: string; readonly step: 'http' | 'websocket'; /** `ICWS_ERR_SELF_TEST: …` */ readonly error: string };

export interface SelfTestOptions {
  /** The URL clients use: `https://…`, `wss://…` (or the plain forms). */
  readonly publicUrl: string;
  /** The gateway's principal, which `/version` must answer with. */
  readonly principal: string;
  /** The token the gateway echoes in the close reason of a self-test handshake. */
  readonly token: string;
  /** Whether the public URL's TLS certificate must be trusted; off only for self-signed test setups. */
  readonly rejectUnauthorized?: boolean;
}

/** @returns a fresh token for {@link SelfTestOptions.token} */
export function selfTestToken(): string {
  return randomBytes(12).toString('hex');
}

/** Runs both steps; never throws. */
export async function runSelfTest(options: SelfTestOptions): Promise<SelfTestResult> {
  const url = options.publicUrl;
  try {
    await checkHttp(options);
  } catch (err) {
    return { status: 'failed', url, step: 'http', error: errorText(err) };
  }
  try {
    await checkWebSocket(options);
  } catch (err) {
    return { status: 'failed', url, step: 'websocket', error: errorText(err) };
  }
  return { status: 'passed', url };
}

function withScheme(raw: string, kind: 'http' | 'ws'): URL {
  const url = new URL(raw);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  url.protocol = kind === 'http' ? (secure ? 'https:' : 'http:') : secure ? 'wss:' : 'ws:';
  return url;
}

function checkHttp(options: SelfTestOptions): Promise<void> {
  const url = new URL('version', withScheme(options.publicUrl, 'http').href.replace(/\/?$/, '/'));
  const fail = (text: string) => new GatewayError('ICWS_ERR_SELF_TEST', `GET ${url.href}: ${text}`);
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', timeout: STEP_TIMEOUT_MS, rejectUnauthorized: options.rejectUnauthorized ?? true }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(fail(`answered HTTP ${res.statusCode}; the proxy does not pass requests to this gateway`));
        let principal: unknown;
        try {
          principal = (JSON.parse(body) as { gatewayPrincipal?: unknown }).gatewayPrincipal;
        } catch {
          return reject(fail('answered something other than this gateway\'s /version; the URL reaches another server'));
        }
        if (principal !== options.principal) return reject(fail(`answered for gateway ${String(principal)}, not this one (${options.principal}); the URL reaches another gateway`));
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${STEP_TIMEOUT_MS} ms`)));
    req.on('error', (err: Error & { code?: string }) => reject(fail(`the request failed (${err.code ?? err.message})`)));
    req.end();
  });
}

function checkWebSocket(options: SelfTestOptions): Promise<void> {
  const url = new URL(SELF_TEST_PATH.slice(1), withScheme(options.publicUrl, 'ws').href.replace(/\/?$/, '/'));
  url.searchParams.set('token', options.token);
  const shown = `${url.origin}${url.pathname}`;
  const fail = (text: string) => new GatewayError('ICWS_ERR_SELF_TEST', `WebSocket handshake with ${shown}: ${text}`);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: STEP_TIMEOUT_MS, rejectUnauthorized: options.rejectUnauthorized ?? true });
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      socket.terminate();
      reject(fail(`the proxy did not upgrade the connection (it answered HTTP ${res.statusCode}); pass the Upgrade and Connection headers to the gateway`));
    });
    socket.on('error', (err: Error & { code?: string }) => reject(fail(`the handshake failed (${err.code ?? err.message})`)));
    socket.on('close', (_code, reason) => {
      if (reason.toString() === options.token) resolve();
      else reject(fail('the connection was upgraded but closed without the token; the URL reaches another server'));
    });
  });
}
