// The ES module entry: the same CommonJS build, re-exported by name, so that
// `import` and `require` share one instance of the package.
import forkexec from '../dist/index.js';

export const {
  posix,
  fork,
  forkSafety,
  atFork,
  safeModeFlags,
  Process,
  Pool,
  getStartMethods,
  forkserver,
  moduleTarget,
} = forkexec;
export const { spawn, spawnSync, pipeline, Subprocess, SubprocessError, exec } = forkexec;
export default forkexec;
