// The prebuilds run on glibc 2.28: what is newer is looked up at load
// (native/glibc_compat.cc) and each lookup has a fallback. Each fallback is
// forced here by FORKEXEC_TEST_GLIBC_BASELINE=1, read once when the addon
// loads (so every scenario runs in a node of its own), and compared with a
// run of the same scenario on this machine's glibc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { runNode, tempDir } from './helpers.mjs';

/** Runs an ES module body in a fresh node; returns the JSON it printed on its last line. */
function scenario(source, { baseline, execArgv = [], prefix = [] } = {}) {
  const env = { ...process.env, FORKEXEC_TEST_GLIBC_BASELINE: baseline ? '1' : '0' };
  const body = `import { spawn, posix } from 'forkexec';\n${source}`;
  const run =
    prefix.length === 0
      ? runNode(body, { env, execArgv })
      : spawnSync(
          prefix[0],
          [...prefix.slice(1), process.execPath, ...execArgv, '--input-type=module', '-e', body],
          {
            encoding: 'utf8',
            env,
            timeout: 120_000,
          },
        );
  assert.equal(run.status, 0, `scenario failed:\n${run.stdout}\n${run.stderr}`);
  return { result: JSON.parse(run.stdout.trim().split('\n').pop()), stderr: run.stderr };
}

const CHILD_FDS = `
const [r, w] = posix.pipe({ cloexec: false });
const extra = posix.dup2(r, 40, { cloexec: false });
async function childFds(options) {
  const got = await spawn('/bin/sh', ['-c', 'ls /proc/$$/fd'], { stdio: ['ignore', 'pipe', 'inherit'], ...options });
  return { method: got.method, fds: got.stdout.split('\\n').filter(Boolean).map(Number) };
}`;

test('without addclosefrom_np: auto takes the child path, posix_spawn closes each open fd', () => {
  const source = `${CHILD_FDS}
  const auto = await childFds({});
  const explicit = await childFds({ method: 'posix_spawn' });
  const kept = await childFds({ method: 'posix_spawn', closeFds: false });
  const raw = posix.posixSpawn('/bin/sh', ['sh', '-c', 'test ! -e /proc/$$/fd/40'], {
    fileActions: [{ action: 'closefrom', fd: 3 }],
  });
  console.log(JSON.stringify({ auto, explicit, kept, raw: posix.waitpid(raw).exitCode }));`;
  const forced = scenario(source, { baseline: true }).result;
  assert.equal(forced.auto.method, 'vfork');
  assert.equal(forced.explicit.method, 'posix_spawn');
  for (const run of [forced.auto, forced.explicit]) assert.ok(!run.fds.includes(40), run.fds);
  assert.ok(forced.kept.fds.includes(40), 'control: fd 40 is inheritable');
  assert.equal(forced.raw, 0, 'the closefrom file action closed fd 40');
  const native = scenario(source, { baseline: false }).result;
  assert.equal(native.auto.method, 'posix_spawn', 'this glibc has addclosefrom_np');
  assert.deepEqual(native.auto.fds, forced.auto.fds);
});

test('without addchdir_np: a cwd takes the child path; posix_spawn alone refuses it', () => {
  const { dir, cleanup } = tempDir('forkexec-cwd-');
  try {
    const source = `
    const cwd = ${JSON.stringify(dir)};
    const auto = await spawn('/bin/pwd', [], { cwd, closeFds: false, stdio: ['ignore', 'pipe', 'inherit'] });
    let explicit;
    try {
      await spawn('/bin/true', [], { cwd, method: 'posix_spawn', closeFds: false });
    } catch (error) {
      explicit = error.code;
    }
    let raw;
    try {
      posix.waitpid(
        posix.posixSpawn('/bin/true', ['true'], { fileActions: [{ action: 'chdir', path: cwd }] }),
      );
    } catch (error) {
      raw = error.code;
    }
    console.log(JSON.stringify({ method: auto.method, pwd: auto.stdout.trim(), explicit, raw }));`;
    const forced = scenario(source, { baseline: true }).result;
    assert.deepEqual(forced, {
      method: 'vfork',
      pwd: realpathSync(dir),
      explicit: 'ENOTSUP',
      raw: 'ENOSYS',
    });
    const native = scenario(source, { baseline: false }).result;
    assert.equal(native.method, 'posix_spawn');
    assert.equal(native.explicit, undefined);
    assert.equal(native.raw, undefined);
  } finally {
    cleanup();
  }
});

const hasStrace = spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status === 0;

test(
  'without _Fork: the fork method makes its child with a bare clone syscall',
  { skip: !hasStrace && 'strace is not installed (Debian: apt-get install strace)' },
  () => {
    const source = `
    const r = await spawn('/bin/sh', ['-c', 'echo forked'], { method: 'fork', stdio: ['ignore', 'pipe', 'inherit'] });
    console.log(JSON.stringify({ method: r.method, exitCode: r.exitCode, stdout: r.stdout }));`;
    const clones = (baseline) => {
      const { result, stderr } = scenario(source, {
        baseline,
        prefix: ['strace', '-f', '-qq', '-e', 'trace=clone'],
      });
      assert.deepEqual(result, { method: 'fork', exitCode: 0, stdout: 'forked\n' });
      // Both are the fork's clone, with no stack: glibc's _Fork also asks the
      // kernel to keep the child's thread id in its thread descriptor.
      return {
        bare: /clone\(child_stack=NULL, flags=SIGCHLD\)/.test(stderr),
        glibc:
          /clone\(child_stack=NULL, flags=CLONE_CHILD_CLEARTID\|CLONE_CHILD_SETTID\|SIGCHLD/.test(
            stderr,
          ),
      };
    };
    assert.deepEqual(clones(true), { bare: true, glibc: false });
    assert.deepEqual(clones(false), { bare: false, glibc: true });
  },
);
