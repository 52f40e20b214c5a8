// The package's install step. On win32 there is no native addon (forkexec
// falls back to child_process there), so nothing is built and no compiler is
// needed. Everywhere else this is exactly `node-gyp-build`'s own CLI: use a
// prebuild or an existing build if one fits, else compile with node-gyp.
'use strict';

if (process.platform === 'win32') {
  if (process.env.npm_config_loglevel === 'verbose') {
    console.error('forkexec: win32, no native addon to build');
  }
} else {
  require('node-gyp-build/bin.js');
}
