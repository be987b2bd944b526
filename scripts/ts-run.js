// Runs a TypeScript file of this repository with Node, compiling each .ts module with swc on load.
const { resolve } = require('node:path');
const { enableTypeScriptModules } = require('@icws/replica');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/ts-run.js FILE.ts [ARGS...]');
  process.exit(2);
}
enableTypeScriptModules(file);
process.argv = [process.argv[0], resolve(file), ...args];
require(resolve(file));
