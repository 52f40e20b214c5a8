#!/usr/bin/env node
// forkexec-node: node with V8 in single-threaded mode, the mode fork() needs.
//
//   forkexec-node [node options] app.js [args]
//
// NODE_OPTIONS does not accept --single-threaded, so this launcher replaces
// itself (execve, same pid, same environment) with
// `node --single-threaded [node options] app.js [args]`.
'use strict';

const { posix } = require('..');

// stdio must survive the exec even when whoever started us opened it close-on-exec.
for (const fd of [0, 1, 2]) {
  try {
    posix.setCloexec(fd, false);
  } catch {
    // not open: the new node has no such stdio either
  }
}
posix.execve(process.execPath, [process.execPath, '--single-threaded', ...process.argv.slice(2)]);
