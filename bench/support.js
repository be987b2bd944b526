// Shared by the benchmarks: child processes that print JSON lines, fast native-key envelopes.
const { spawn } = require('node:child_process');
const { generateKeyPairSync, sign } = require('node:crypto');
const { createInterface } = require('node:readline');
const { writeFileSync } = require('node:fs');
const inspector = require('node:inspector');
const { Cbor, requestIdOf, IC_REQUEST_DOMAIN_SEPARATOR } = require('@icp-sdk/core/agent');
const { Principal } = require('@icp-sdk/core/principal');

/** Starts `script` with node; `next()` resolves with its next JSON line, `ask(cmd)` writes cmd and waits for a line. */
function startChild(script, args = [], nodeFlags = []) {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  const waiters = [];
  lines.on('line', (line) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter(value);
    else queue.push(value);
  });
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve)));
  return { child, next, ask: (command) => (child.stdin.write(command + '\n'), next()), stop: () => child.stdin.end() };
}

/** An Ed25519 identity on node:crypto: signing costs tens of microseconds, not a millisecond. */
function nativeIdentity() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, der, principal: Principal.selfAuthenticating(der) };
}

/** A signed envelope object (not encoded) for `content`. */
function signedEnvelope(identity, content) {
  const requestId = requestIdOf(content);
  const signature = sign(null, Buffer.concat([IC_REQUEST_DOMAIN_SEPARATOR, requestId]), identity.privateKey);
  return { content, sender_pubkey: identity.der, sender_sig: signature };
}

/** @returns the p-th percentile (0–100) of `values`. */
function percentile(values, p) {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Answers a host's profiling commands: `profile-start` starts a CPU profile of its main thread,
 * `profile-stop <file>` writes it (a .cpuprofile for Chrome DevTools) and answers {profiled};
 * `alloc-start` starts sampling the main thread's allocations, `alloc-stop [file]` answers
 * {allocatedBytes}, the sampled estimate of the bytes allocated meanwhile (and writes a .heapprofile).
 * @returns whether `line` was such a command
 */
function profileCommand(line) {
  const [command, file] = line.trim().split(' ');
  if (command === 'profile-start') {
    profileSession ??= new inspector.Session();
    profileSession.connect();
    profileSession.post('Profiler.enable', () => profileSession.post('Profiler.start', () => console.log(JSON.stringify({ profiling: true }))));
    return true;
  }
  if (command === 'alloc-start') {
    // Sampled, collected objects included: the bytes allocated, not the bytes kept.
    profileSession ??= new inspector.Session();
    profileSession.connect();
    const options = { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
    profileSession.post('HeapProfiler.enable', () => profileSession.post('HeapProfiler.startSampling', options, () => console.log(JSON.stringify({ sampling: true }))));
    return true;
  }
  if (command === 'alloc-stop') {
    profileSession.post('HeapProfiler.stopSampling', (err, { profile }) => {
      let bytes = 0;
      const walk = (node) => {
        bytes += node.selfSize;
        for (const child of node.children) walk(child);
      };
      walk(profile.head);
      if (file) writeFileSync(file, JSON.stringify(profile));
      profileSession.disconnect();
      console.log(JSON.stringify({ allocatedBytes: bytes }));
    });
    return true;
  }
  if (command === 'profile-stop') {
    profileSession.post('Profiler.stop', (err, { profile }) => {
      writeFileSync(file, JSON.stringify(profile));
      profileSession.disconnect();
      console.log(JSON.stringify({ profiled: file }));
    });
    return true;
  }
  return false;
}
let profileSession;

module.exports = { startChild, nativeIdentity, signedEnvelope, percentile, profileCommand, Cbor };
