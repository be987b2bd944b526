/**
 * Timing and sizing of the protocol, as the upstream peers use them; a peer with other values sees
 * its connections closed or its messages considered blocked.
 */
import * as defaults from './defaults';

describe('defaults', () => {
  it('match the upstream CDK: acks every 5 minutes, keep-alives within 1 minute, 50 messages per poll', () => {
    expect(defaults.DEFAULT_SEND_ACK_INTERVAL_MS).toBe(300_000);
    expect(defaults.COMMUNICATION_LATENCY_BOUND_MS).toBe(30_000);
    expect(defaults.CLIENT_KEEP_ALIVE_TIMEOUT_MS).toBe(60_000);
    expect(defaults.DEFAULT_MAX_NUMBER_OF_RETURNED_MESSAGES).toBe(50);
    expect(defaults.MESSAGES_TO_DELETE_COUNT).toBe(5);
  });

  it('keep the send-ack interval above the keep-alive timeout, as the CDK requires', () => {
    expect(defaults.DEFAULT_SEND_ACK_INTERVAL_MS).toBeGreaterThan(defaults.CLIENT_KEEP_ALIVE_TIMEOUT_MS);
  });

  it('match the upstream client: open within 1 minute, acks within an ack interval plus the latency bound', () => {
    expect(defaults.CLIENT_OPEN_TIMEOUT_MS).toBe(60_000);
    expect(defaults.clientAckTimeoutMs()).toBe(330_000);
    expect(defaults.clientAckTimeoutMs(120_000)).toBe(150_000);
    expect(defaults.DEFAULT_MAX_CERTIFICATE_AGE_MINUTES).toBe(5);
  });

  it('match the upstream gateway: poll every 100 ms with a 5 s timeout, listen on 0.0.0.0:8080', () => {
    expect(defaults.DEFAULT_POLLING_INTERVAL_MS).toBe(100);
    expect(defaults.POLLING_TIMEOUT_MS).toBe(5_000);
    expect(defaults.DEFAULT_GATEWAY_LISTEN_ADDRESS).toBe('0.0.0.0:8080');
    expect(defaults.DEFAULT_IC_NETWORK_URL).toBe('http://127.0.0.1:4943');
  });

  it('number queues from 0 and messages of each direction from 1', () => {
    expect(defaults.INITIAL_OUTGOING_MESSAGE_NONCE).toBe(0n);
    expect(defaults.INITIAL_CLIENT_SEQUENCE_NUM).toBe(1n);
    expect(defaults.FIRST_CANISTER_SEQUENCE_NUM).toBe(1n);
  });

  it('name the certification label and the methods', () => {
    expect(defaults.CERTIFICATION_LABEL).toBe('websocket');
    expect([defaults.WS_OPEN_METHOD, defaults.WS_MESSAGE_METHOD, defaults.WS_CLOSE_METHOD, defaults.WS_GET_MESSAGES_METHOD]).toEqual([
      'ws_open',
      'ws_message',
      'ws_close',
      'ws_get_messages',
    ]);
  });
});
