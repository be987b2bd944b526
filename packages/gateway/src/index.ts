export { startGateway, type GatewayOptions, type RunningGateway } from './gateway';
export { parseCommandLine, usage, DEFAULT_CONFIG, isMainnet, type GatewayConfig } from './config';
export { CloseCode } from './close-codes';
export { GatewayError, GATEWAY_ERROR_CODES, type GatewayErrorCode, type GatewayErrorKind } from './errors';
