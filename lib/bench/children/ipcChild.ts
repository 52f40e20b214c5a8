// The child of the child_process.fork baseline: one IPC message, then leave.
process.send?.('ready', () => {
  process.disconnect();
});
