/** One jest configuration for every package: TypeScript through swc, workspace packages from source. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
    // @icp-sdk/core's dependencies (noble v2, scure, @dfinity/cbor) ship only ES modules, which
    // jest's module system cannot require on Node 20: compile them to CommonJS like our sources.
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } }],
  },
  // The OTLP exporter loads node:http with import(), which jest's CommonJS sandbox refuses: compiled,
  // it becomes a require.
  transformIgnorePatterns: ['/node_modules/(?!(@noble|@scure|@dfinity/cbor|@icp-sdk|@opentelemetry/otlp-exporter-base)/)'],
  moduleNameMapper: {
    '^@icws/(backend-cdk|replica|gateway|client-sdk|protocol)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 30000,
  // A leaked handle must not hang CI; leaks show up as the warning jest prints instead.
  forceExit: true,
};
