// `npm run prebuild`: every binary the package ships, into prebuilds/
// (git-ignored, packed by `npm pack`): linux-arm64 and linux-x64, both for
// glibc (tagged, so musl installs compile instead), both Node-API, so one
// binary serves every Node line. arm64 is cross-compiled with Debian's
// g++-aarch64-linux-gnu. x64 is built last so that build/Release is this
// machine's addon again afterwards.
//
// Usage: node scripts/prebuild.mjs [arm64] [x64]   (default: both)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuildify = join(root, 'node_modules', '.bin', 'prebuildify');

/** The environment of each target's build: its compilers and strip. */
const TARGETS = {
  arm64: {
    CC: 'aarch64-linux-gnu-gcc',
    CXX: 'aarch64-linux-gnu-g++',
    PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip',
  },
  x64: {},
};

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function build(arch) {
  // Node-API headers of the running node (the build needs no download).
  const nodedir = process.env.npm_config_nodedir ?? dirname(dirname(process.execPath));
  const env = { ...process.env, ...TARGETS[arch], npm_config_nodedir: nodedir };
  const missing = [env.CXX, env.PREBUILD_STRIP_BIN].filter((c) => c && !hasCommand(c));
  if (missing.length > 0) {
    console.error(
      `prebuild: ${missing.join(', ')} not found; on Debian: apt-get install g++-aarch64-linux-gnu`,
    );
    process.exit(1);
  }
  console.error(`prebuild: linux-${arch}`);
  rmSync(join(root, 'prebuilds', `linux-${arch}`), { recursive: true, force: true });
  const args = ['--napi', '--strip', '--tag-libc', `--arch=${arch}`, `--target=${process.version}`];
  const run = spawnSync(prebuildify, args, { cwd: root, env, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`prebuild: linux-${arch} failed (exit ${run.status})`);
    process.exit(1);
  }
}

const wanted = process.argv.slice(2);
for (const arch of Object.keys(TARGETS)) {
  if (wanted.length === 0 || wanted.includes(arch)) build(arch);
}
