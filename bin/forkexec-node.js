#!/usr/bin/env node
// forkexec-node: node in the mode fork() needs (V8 without background threads:
// --single-threaded, and --minor-ms where V8 needs that too; see safeModeFlags).
//
//   forkexec-node [node options] app.js [args]
//
// NODE_OPTIONS does not accept --single-threaded, so this launcher replaces
// itself (execve, same pid, same environment) with
// `node --single-threaded [node options] app.js [args]`. posix.execve hands
// the new node its stdio open and blocking and no signal ignored, as a shell
// would (this node marked fds 0-2 close-on-exec and ignores SIGPIPE).
'use strict';

const { posix, safeModeFlags } = require('..');

posix.execve(process.execPath, [process.execPath, ...safeModeFlags(), ...process.argv.slice(2)]);
