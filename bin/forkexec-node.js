#!/usr/bin/env node
// forkexec-node: node with V8 in single-threaded mode, the mode fork() needs.
//
//   forkexec-node [node options] app.js [args]
//
// NODE_OPTIONS does not accept --single-threaded, so this launcher replaces
// itself (execve, same pid, same environment) with
// `node --single-threaded [node options] app.js [args]`. posix.execve hands
// the new node its stdio open and blocking and no signal ignored, as a shell
// would (this node marked fds 0-2 close-on-exec and ignores SIGPIPE).
'use strict';

const { posix } = require('..');

posix.execve(process.execPath, [process.execPath, '--single-threaded', ...process.argv.slice(2)]);
