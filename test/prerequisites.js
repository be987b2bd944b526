// Before `npm test`: installs the published upstream client used by the compatibility tests (kept
// apart from the workspace, with the @dfinity/agent 2.x it needs) and checks the system programs the
// browser and reverse-proxy tests run.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const upstream = join(__dirname, 'upstream-client');
if (!existsSync(join(upstream, 'node_modules/ic-websocket-js'))) {
  console.log('installing ic-websocket-js@0.5.0 into test/upstream-client');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', upstream], { stdio: 'inherit' });
}

const missing = [
  ['/usr/bin/chromium', 'chromium'],
  ['nginx', 'nginx-light'],
  ['openssl', 'openssl'],
].filter(([program]) => {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  console.error(`npm test needs ${missing.map(([p]) => p).join(', ')}: apt-get install -y ${missing.map(([, pkg]) => pkg).join(' ')}`);
  process.exit(1);
}
