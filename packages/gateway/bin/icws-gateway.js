#!/usr/bin/env node
// `icws-gateway`: npm links this file when the package is installed, before a workspace checkout has
// built dist/; the program itself is dist/cli.js.
let cli;
try {
  cli = require('../dist/cli.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    console.error('icws-gateway: this package is not built (dist/cli.js is missing); run npm run build at the repository root');
    process.exit(2);
  }
  throw err;
}
cli.runCli(process.argv.slice(2));
