// The child_process.fork side of bench/fork.mjs: one IPC message, then exit.
process.send('ready', () => process.disconnect());
