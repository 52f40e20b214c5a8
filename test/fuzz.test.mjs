// Property-based fuzzing of the public entry points with fast-check: random
// option objects, argv and env values (wrong types, huge strings, NUL bytes,
// negative and huge fds, prototype-polluted objects, getters that throw).
// Every call either works or throws a documented error; afterwards no fd and
// no child is left behind. Seeded: FORKEXEC_FUZZ_SEED=<n> replays a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { posix, Process, Pool, spawn, SubprocessError } from 'forkexec';
import { runForkScenario } from './fork-helpers.mjs';
import { children, openFds, root, tempDir } from './helpers.mjs';

const SEED = Number(process.env.FORKEXEC_FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FORKEXEC_FUZZ_RUNS ?? 2000);

/** What a getter that throws throws: passing it on is documented behaviour. */
class GetterError extends Error {}

const DOCUMENTED =
  /^(ERR_INVALID_ARG_TYPE|ERR_INVALID_ARG_VALUE|ERR_OUT_OF_RANGE|ERR_FORKEXEC_[A-Z_]+|ERR_MODULE_NOT_FOUND|E[A-Z0-9]+)$/;

function check(call) {
  try {
    return { ok: true, value: call() };
  } catch (error) {
    if (error instanceof GetterError) return { ok: false };
    assert.ok(error instanceof Error, `threw a non-Error: ${String(error)}`);
    assert.match(String(error.code), DOCUMENTED, `undocumented error: ${error.stack}`);
    const system = /^E[A-Z]/.test(error.code) && !error.code.startsWith('ERR_');
    if (system) {
      assert.equal(typeof error.errno, 'number', `system error without errno: ${error.message}`);
      assert.equal(typeof error.syscall, 'string');
    }
    return { ok: false, system, error };
  }
}

const { dir, cleanup } = tempDir('forkexec-fuzz-');

const hostile = fc.oneof(
  fc.anything(),
  fc.string({ maxLength: 20 }).map((s) => `${s}\0${s}`),
  fc.constant('x'.repeat(1 << 20)),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.constantFrom(NaN, Infinity, -1, -0, 2 ** 31, 2 ** 53, 0.5, 1e308),
  fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
  fc.constant(
    Object.defineProperty({}, 'action', {
      get() {
        throw new GetterError('getter');
      },
      enumerable: true,
    }),
  ),
  fc.constant(Object.create({ setsid: 'inherited', fd: 3, action: 'close' })),
);

/** Usually a valid value, now and then a hostile one: so that many cases reach the kernel. */
const mostly = (valid) =>
  fc.oneof({ arbitrary: valid, weight: 15 }, { arbitrary: hostile, weight: 1 });

/**
 * Values that can never name a file: file actions open with 'w', and a
 * random string could be a real relative path ('package.json'). Only these
 * and paths inside the private temporary directory are used as paths.
 */
const notAPath = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => `${s}\0${s}`),
  fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from([...a, 0])),
  fc.constantFrom('', null, undefined, 0, -1, NaN, {}, [], true),
  fc.object(),
);

const safePath = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      join(dir, 'a'),
      join(dir, 'b', 'c'),
      '/dev/null',
      dir,
      '/nonexistent/x',
    ),
    weight: 15,
  },
  { arbitrary: notAPath, weight: 1 },
);

const fd = mostly(fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 3, max: 70000 })));

const fileAction = mostly(
  fc.oneof(
    fc.record(
      {
        action: fc.constant('open'),
        fd,
        path: safePath,
        flags: mostly(fc.constantFrom('r', 'w', 'a+', 'rw')),
        mode: mostly(fc.integer({ min: 0, max: 0o777 })),
      },
      { requiredKeys: ['action', 'fd', 'path'] },
    ),
    fc.record({ action: fc.constantFrom('close', 'fchdir', 'closefrom'), fd }),
    fc.record({
      action: fc.constant('dup2'),
      fd: mostly(fc.integer({ min: 0, max: 3 })),
      newFd: mostly(fc.integer({ min: 0, max: 1 << 20 })),
    }),
    fc.record({ action: fc.constant('chdir'), path: safePath }),
  ),
);

const envValue = mostly(
  fc.dictionary(
    mostly(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,7}$/)),
    mostly(fc.string({ maxLength: 8 })),
    { maxKeys: 5 },
  ),
);

const spawnOptions = mostly(
  fc.record(
    {
      env: envValue,
      fileActions: mostly(fc.array(fileAction, { maxLength: 4 })),
      setpgroup: mostly(fc.integer({ min: 0, max: 2 })),
      setsid: mostly(fc.boolean()),
      setsigmask: mostly(
        fc.array(mostly(fc.constantFrom('SIGUSR1', 'SIGHUP', 9, 15)), { maxLength: 3 }),
      ),
      setsigdef: mostly(
        fc.array(mostly(fc.constantFrom('SIGPIPE', 'SIGINT', 2)), { maxLength: 3 }),
      ),
      resetids: mostly(fc.boolean()),
      inheritStdio: mostly(fc.boolean()),
    },
    { requiredKeys: [] },
  ),
);

const argv = mostly(
  fc.array(
    mostly(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a.filter((b) => b !== 0))),
      ),
    ),
    { minLength: 1, maxLength: 4 },
  ),
);

test('posixSpawn: random files, argv and options either spawn or throw a documented error', (t) => {
  const fdsBefore = openFds().length;
  const childrenBefore = children().length;
  const outcomes = { spawned: 0, systemError: 0, argumentError: 0 };
  // Whatever a case names relative to the working directory lands in the
  // private directory too.
  const cwd = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(cwd));
  fc.assert(
    fc.property(
      fc.oneof(
        { arbitrary: fc.constantFrom('/bin/true', '/bin/false'), weight: 3 },
        { arbitrary: safePath, weight: 1 },
      ),
      argv,
      spawnOptions,
      (file, args, options) => {
        const result = check(() => posix.posixSpawn(file, args, options));
        if (result.ok) {
          posix.waitpid(result.value);
          outcomes.spawned++;
        } else if (result.system) outcomes.systemError++;
        else outcomes.argumentError++;
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
  t.diagnostic(`outcomes over ${RUNS} cases: ${JSON.stringify(outcomes)}`);
  // The fuzz must reach the kernel, not only the argument checks.
  assert.ok(outcomes.spawned >= RUNS / 40, JSON.stringify(outcomes));
  assert.ok(outcomes.systemError >= 1, JSON.stringify(outcomes));
  assert.equal(openFds().length, fdsBefore);
  assert.equal(children().length, childrenBefore);
});

/**
 * Hostile now and then, for one of many fields: with some twenty options a
 * case, `mostly` would leave hardly a case that starts a child.
 */
const rarely = (valid) =>
  fc.oneof({ arbitrary: valid, weight: 60 }, { arbitrary: hostile, weight: 1 });

/** Options of spawn(): mostly valid, so that most cases start a real child. */
const highLevelOptions = mostly(
  fc.record(
    {
      cwd: rarely(fc.constantFrom(dir, '/', '/nonexistent/dir')),
      env: envValue,
      argv0: rarely(fc.string({ maxLength: 8 })),
      // 'inherit' would print into the test runner's output; fds 0-2 are its pipes.
      stdio: rarely(
        fc.oneof(
          fc.constantFrom('pipe', 'pipe', 'ignore'),
          fc.array(rarely(fc.constantFrom('pipe', 'pipe', 'ignore', 0, 70000)), { maxLength: 4 }),
        ),
      ),
      fds: rarely(
        fc.dictionary(
          fc.oneof({ arbitrary: fc.constantFrom('3', '5'), weight: 20 }, fc.constantFrom('0', 'x')),
          fd,
          { maxKeys: 2 },
        ),
      ),
      closeFds: rarely(fc.boolean()),
      setsid: rarely(fc.constantFrom(false, false, false, true)),
      // Seldom: setsid refuses it.
      pgid: rarely(fc.constantFrom(undefined, undefined, undefined, 0, 2 ** 22)),
      uid: rarely(fc.constantFrom(0, 65534, 2 ** 31 + 1)),
      gid: rarely(fc.constantFrom(0, 65534)),
      groups: rarely(fc.array(fc.nat(70000), { maxLength: 3 })),
      umask: rarely(fc.integer({ min: 0, max: 0o777 })),
      rlimits: rarely(
        fc.dictionary(
          fc.oneof(
            { arbitrary: fc.constantFrom('nofile', 'core', 'cpu'), weight: 20 },
            fc.constant('bogus'),
          ),
          rarely(fc.oneof(fc.nat(4096), fc.tuple(fc.nat(64), fc.nat(4096)))),
          { maxKeys: 2 },
        ),
      ),
      pdeathsig: rarely(fc.constantFrom('SIGTERM', 'SIGKILL', 0)),
      method: rarely(fc.constantFrom('auto', 'posix_spawn', 'vfork', 'fork')),
      timeout: rarely(fc.nat(2000)),
      killSignal: rarely(fc.constantFrom('SIGTERM', 'SIGKILL', 9)),
      // Seldom: it needs stdio[0] to be a pipe.
      input: rarely(
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 4 },
          fc.string({ maxLength: 32 }),
          fc.uint8Array({ maxLength: 32 }),
        ),
      ),
      encoding: rarely(fc.constantFrom('utf8', 'buffer', 'latin1', 'hex')),
      maxBuffer: rarely(fc.nat(1 << 16)),
      reject: rarely(fc.boolean()),
    },
    { requiredKeys: [] },
  ),
);

/** What awaiting a Subprocess may reject with: a SubprocessError, of a start that failed (no pid, system-error fields) or of a child that ran. */
function checkOutcome(error) {
  assert.ok(error instanceof SubprocessError, `undocumented rejection: ${error?.stack ?? error}`);
  if (error.pid !== undefined || error.code === 'ABORT_ERR') return 'failed';
  assert.match(String(error.code), /^E[A-Z0-9]+$/, `undocumented rejection: ${error.stack}`);
  assert.equal(typeof error.errno, 'number', error.message);
  assert.equal(typeof error.syscall, 'string', error.message);
  assert.ok(Array.isArray(error.spawnargs), error.message);
  return 'startError';
}

test('spawn: random files, argv and options either run or fail in a documented way', async (t) => {
  const fdsBefore = openFds().length;
  const childrenBefore = children().length;
  const outcomes = { succeeded: 0, failed: 0, startError: 0, argumentError: 0 };
  const reasons = new Map();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        { arbitrary: fc.constantFrom('/bin/true', '/bin/false', 'true', 'false'), weight: 4 },
        { arbitrary: safePath, weight: 1 },
      ),
      argv,
      highLevelOptions,
      async (file, args, options) => {
        const started = check(() => spawn(file, args, options));
        if (!started.ok) {
          outcomes.argumentError++;
          const why = String(started.error?.message)
            .replace(/ Received .*/s, '')
            .slice(0, 70);
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
          return;
        }
        try {
          await started.value;
          outcomes.succeeded++;
        } catch (error) {
          outcomes[checkOutcome(error)]++;
        }
      },
    ),
    { seed: SEED + 4, numRuns: Math.min(RUNS, 1500) },
  );
  t.diagnostic(`outcomes: ${JSON.stringify(outcomes)}`);
  const common = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5);
  t.diagnostic(`most common argument errors: ${JSON.stringify(common)}`);
  // The fuzz must start real children, not only trip the argument checks.
  assert.ok(outcomes.succeeded + outcomes.failed >= 100, JSON.stringify(outcomes));
  assert.ok(outcomes.startError >= 1, JSON.stringify(outcomes));
  assert.equal(openFds().length, fdsBefore, JSON.stringify(outcomes));
  assert.deepEqual(children().length, childrenBefore);
});

test('fork: random arguments and random results either work or fail in a documented way', () => {
  // Real forks need node --single-threaded: the cases run in such a node.
  const { result } = runForkScenario(
    `
    import fc from 'fast-check';
    import { fork } from 'forkexec';
    import { readdirSync, writeSync } from 'node:fs';
    const fds = () => readdirSync('/proc/self/fd').length;
    // One fork first: what the first fork opens once (and keeps) is no leak.
    await fork(() => 0);
    const fdsBefore = fds();
    const outcomes = { value: 0, unserializable: 0, argumentError: 0, other: [] };
    const values = fc.oneof(fc.anything(), fc.constantFrom(() => 1, Symbol('s'), new WeakMap()), fc.bigInt());
    await fc.assert(
      fc.asyncProperty(fc.oneof(values, values.map((v) => () => v), values.map((v) => async () => v)), async (arg) => {
        let child;
        try {
          child = fork(arg);
        } catch (error) {
          if (error.code === 'ERR_INVALID_ARG_TYPE') outcomes.argumentError++;
          else outcomes.other.push(String(error.code) + ' ' + error.message);
          return;
        }
        try {
          await child;
          outcomes.value++;
        } catch (error) {
          if (error.code === 'ERR_FORK_RESULT_UNSERIALIZABLE') outcomes.unserializable++;
          else outcomes.other.push(String(error.code) + ' ' + error.message);
        }
      }),
      { seed: ${SEED + 5}, numRuns: 200 },
    );
    writeSync(1, 'RESULT ' + JSON.stringify({ outcomes, fdsBefore, fdsAfter: fds() }) + '\\n');
  `,
    { timeout: 240_000 },
  );
  const { outcomes } = result;
  assert.deepEqual(outcomes.other, [], 'only documented errors');
  assert.ok(outcomes.value >= 20, JSON.stringify(outcomes));
  assert.ok(outcomes.unserializable >= 5, JSON.stringify(outcomes));
  assert.ok(outcomes.argumentError >= 20, JSON.stringify(outcomes));
  assert.equal(result.fdsAfter, result.fdsBefore, 'no fd left behind');
});

test('posix calls with random arguments: documented errors only', () => {
  const fdsBefore = openFds().length;
  const calls = [
    (a) => posix.waitpid(a, 1 /* WNOHANG */),
    (a, b) => posix.waitid(a, b, posix.constants.WNOHANG | posix.constants.WEXITED),
    (a) => posix.close(typeof a === 'number' && a < 1000 ? a + 1000 : a),
    (a) => posix.getCloexec(a),
    (a) => posix.dup(a),
    (a) => posix.pipe(a),
    (a) => posix.kill(typeof a === 'number' ? 2 ** 22 + Math.abs(a % 1000) : a, 0),
    (a, b) => posix.pidfdOpen(a, b),
    (a, b) => posix.setpgid(typeof a === 'number' ? 2 ** 22 : a, b),
  ];
  fc.assert(
    fc.property(fc.nat(calls.length - 1), hostile, hostile, (which, a, b) => {
      const result = check(() => calls[which](a, b));
      // Anything that made an fd gives it back.
      if (result.ok && which === 4) posix.close(result.value);
      if (result.ok && which === 5) result.value.forEach((fd) => posix.close(fd));
      if (result.ok && which === 7) posix.close(result.value);
    }),
    { seed: SEED + 1, numRuns: RUNS },
  );
  assert.equal(openFds().length, fdsBefore);
});

test('Process and Pool constructors and run with random options: documented errors only', async () => {
  const childrenBefore = children().length;
  const target = fc.oneof(
    fc.constant({ module: join(root, 'test', 'fixtures', 'targets.mjs'), export: 'add' }),
    fc.record({
      module: fc.oneof(fc.constantFrom('/nonexistent.mjs', 'no-such-pkg', './rel.mjs'), hostile),
      export: hostile,
    }),
    hostile,
  );
  const startMethod = fc.oneof(fc.constantFrom('spawn', 'thread', 'fork'), hostile);
  fc.assert(
    fc.property(
      target,
      startMethod,
      hostile,
      fc.oneof(fc.array(hostile, { maxLength: 2 }), hostile),
      (t, m, size, args) => {
        check(() => new Process({ target: t, startMethod: m, args }));
        check(() => new Pool({ size, startMethod: m }));
      },
    ),
    { seed: SEED + 2, numRuns: Math.min(RUNS, 1000) },
  );
  // A few complete runs with random arguments (each starts a real process).
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), hostile), { maxLength: 2 }),
      async (args) => {
        const built = check(() =>
          new Process({
            target: { module: join(root, 'test', 'fixtures', 'targets.mjs'), export: 'roundTrip' },
            args,
            startMethod: 'spawn',
          }).start(),
        );
        if (built.ok) await built.value.join().catch(() => undefined);
      },
    ),
    { seed: SEED + 3, numRuns: 15 },
  );
  assert.equal(children().length, childrenBefore);
});

test.after(cleanup);
