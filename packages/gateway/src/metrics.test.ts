import { createMetrics } from './metrics';

describe('gateway metrics', () => {
  it('reports relayed messages by direction in the scrape, each counted once however often it is read', async () => {
    const metrics = createMetrics();
    metrics.relayedToCanister.inc();
    metrics.relayedToCanister.inc();
    metrics.relayedToClient.inc();

    const scrape = await metrics.registry.metrics();
    expect(scrape).toContain('icws_gateway_messages_relayed_total{direction="client_to_canister"} 2');
    expect(scrape).toContain('icws_gateway_messages_relayed_total{direction="canister_to_client"} 1');

    metrics.relayedToClient.inc();
    const { values } = await metrics.messagesRelayed.get();
    expect(Object.fromEntries(values.map((v) => [v.labels.direction, v.value]))).toEqual({ client_to_canister: 2, canister_to_client: 2 });
    expect(await metrics.registry.metrics()).toContain('icws_gateway_messages_relayed_total{direction="canister_to_client"} 2');
  });
});
