export { startGateway, type GatewayOptions, type RunningGateway } from './gateway';
export { parseCommandLine, usage, DEFAULT_CONFIG, isMainnet, type GatewayConfig } from './config';
export { CloseCode, CLOSE_CODES } from '@icws/protocol';
export { GatewayError, GATEWAY_ERROR_CODES, type GatewayErrorCode, type GatewayErrorKind } from './errors';
