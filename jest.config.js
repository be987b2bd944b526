/** One jest configuration for every package: TypeScript through swc, workspace packages from source. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@icws/(backend-cdk|replica|gateway|client-sdk|protocol)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 30000,
  // A leaked handle must not hang CI; leaks show up as the warning jest prints instead.
  forceExit: true,
};
