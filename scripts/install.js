// The package's install step. The native addon is Linux-only: on every
// other platform (win32, darwin, the BSDs, sunos, aix) forkexec starts
// children through child_process, so nothing is built and no compiler is
// needed. On Linux this is exactly `node-gyp-build`'s own CLI: a prebuild
// that fits (linux-x64 / linux-arm64, glibc 2.28+), else an existing build,
// else node-gyp compiles (musl, other CPUs, npm_config_build_from_source).
'use strict';

if (process.platform !== 'linux') {
  if (process.env.npm_config_loglevel === 'verbose') {
    console.error(`forkexec: ${process.platform}, no native addon to build`);
  }
} else {
  require('node-gyp-build/bin.js');
}
