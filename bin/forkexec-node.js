#!/usr/bin/env node
// forkexec-node: node in the mode fork() needs (V8 without background threads:
// --single-threaded, and --minor-ms where V8 needs that too; see safeModeFlags).
//
//   forkexec-node [node options] app.js [args]
//
// NODE_OPTIONS does not accept --single-threaded, so this launcher replaces
// itself (execve, same pid, same environment) with
// `node --single-threaded [node options] app.js [args]`.
'use strict';

const { posix, safeModeFlags } = require('..');

// stdio must survive the exec even when whoever started us opened it close-on-exec.
for (const fd of [0, 1, 2]) {
  try {
    posix.setCloexec(fd, false);
  } catch {
    // not open: the new node has no such stdio either
  }
}
posix.execve(process.execPath, [process.execPath, ...safeModeFlags(), ...process.argv.slice(2)]);
