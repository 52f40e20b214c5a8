// npm run test:sanitize: builds the addon with AddressSanitizer and
// UndefinedBehaviorSanitizer, runs the native-heavy tests with it, then
// puts the normal build back. Node itself is not instrumented, so the ASan
// runtime is preloaded; a report from either sanitizer fails the run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NATIVE_TESTS = (process.env.FORKEXEC_SANITIZE_TESTS ?? '').split(',').filter(Boolean);
// Left out, and run un-instrumented by `npm test`: fork-soak forks an
// ASan process 1000 times, which ASan makes too slow for the soak's
// watchdog; fork-safety compares the parent's MADV_DONTFORK mappings before
// and after forks, and ASan's allocator reuses addresses in ways that defeat
// the cached mapping scan (see the closing notes: a known limitation);
// hardening-load's 10,000 spawns and 250 MB of output take ASan past CI's
// time (the same paths run instrumented, in smaller numbers, in spawn.*).
const NOT_UNDER_ASAN = new Set([
  'fork-soak.test.mjs',
  'fork-safety.test.mjs',
  'hardening-load.test.mjs',
]);
const DEFAULT_TESTS = readdirSync('test')
  .filter(
    (f) =>
      /^(posix|spawn|fork|process|hardening|fuzz|arguments)([-.].*)?\.test\.mjs$/.test(f) &&
      !NOT_UNDER_ASAN.has(f),
  )
  .map((f) => join('test', f));

function nodeGyp(args) {
  execFileSync('npx', ['node-gyp', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
if (!existsSync(libasan)) {
  console.error(`no ASan runtime (${libasan}): install gcc's libasan`);
  process.exit(1);
}

const reports = mkdtempSync(join(tmpdir(), 'forkexec-sanitize-'));
let status = 1;
try {
  console.log('building the addon with -fsanitize=address,undefined');
  nodeGyp(['rebuild', '--', '-Dforkexec_sanitize=1']);
  // A run without instrumentation would pass for the wrong reason.
  const needed = execFileSync('readelf', ['-d', join('build', 'Release', 'forkexec.node')], {
    encoding: 'utf8',
  });
  for (const runtime of ['libasan', 'libubsan']) {
    if (!needed.includes(runtime)) throw new Error(`the sanitized addon does not link ${runtime}`);
  }
  const tests = NATIVE_TESTS.length > 0 ? NATIVE_TESTS : DEFAULT_TESTS;
  console.log(`running ${tests.length} test files with the sanitizers`);
  const result = spawnSync(process.execPath, ['--test', '--test-timeout=600000', ...tests], {
    stdio: 'inherit',
    env: {
      ...process.env,
      LD_PRELOAD: libasan,
      // Node's own allocations are not ours to judge: leaks are off, every
      // memory error and undefined behaviour in the addon is fatal. The
      // preload reaches every program the tests start, and some of those
      // are killed with SIGSEGV, SIGBUS or SIGFPE on purpose: ASan must let
      // those signals be. (Its memory checks do not need them; a wild
      // pointer in the addon still kills node and fails its test, and a
      // division by zero is UBSan's to report.)
      ASAN_OPTIONS: `detect_leaks=0:abort_on_error=0:halt_on_error=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:log_path=${join(reports, 'asan')}`,
      UBSAN_OPTIONS: `print_stacktrace=1:halt_on_error=1:log_path=${join(reports, 'ubsan')}`,
    },
  });
  // An error report fails the run; a warning (ASan noticing the vfork child
  // path's own stack, which is deliberately not instrumented) is shown only.
  let errors = 0;
  for (const file of readdirSync(reports)) {
    const text = readFileSync(join(reports, file), 'utf8');
    const isError = /ERROR: |runtime error|SUMMARY: /.test(text);
    if (isError) errors++;
    console.error(`\n==== sanitizer ${isError ? 'error' : 'warning'} ${file}\n${text}`);
  }
  console.log(`sanitizer error reports: ${errors}`);
  status = result.status === 0 && errors === 0 ? 0 : 1;
} finally {
  rmSync(reports, { recursive: true, force: true });
  console.log('restoring the normal build');
  nodeGyp(['rebuild']);
}
process.exit(status);
