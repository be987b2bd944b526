/** Metrics and a silent logger for unit tests. Not part of the package. */
import pino from 'pino';
import { createMetrics, type GatewayMetrics } from '../metrics';

export const silentLog = pino({ level: 'silent' });

export function testMetrics(): GatewayMetrics {
  return createMetrics();
}

/** @returns the value of the `icws_gateway_errors_total` counter for `kind`. */
export async function errorCount(metrics: GatewayMetrics, kind: string): Promise<number> {
  const { values } = await metrics.errors.get();
  return values.find((v) => v.labels.kind === kind)?.value ?? 0;
}
