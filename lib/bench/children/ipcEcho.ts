// A child_process.fork child for the messaging, scaling and memory
// benchmarks: answers each IPC message until the parent disconnects.
import { echo, spin } from './trivialTarget';

interface Request {
  id: number;
  op: 'echo' | 'spin' | 'pid';
  arg: unknown;
}

process.on('message', (message: Request) => {
  const value =
    message.op === 'spin'
      ? spin(message.arg as number)
      : message.op === 'pid'
        ? process.pid
        : echo(message.arg);
  process.send?.({ id: message.id, value });
});
process.send?.('ready');
