// A worker_threads worker for the harness's own Worker pool: answers each
// message with the work it names, until the pool terminates it.
import { parentPort } from 'node:worker_threads';
import { echo, spin } from './trivialTarget';

interface Request {
  id: number;
  op: 'echo' | 'spin';
  arg: unknown;
}

parentPort?.on('message', (message: Request) => {
  const value = message.op === 'spin' ? spin(message.arg as number) : echo(message.arg);
  parentPort?.postMessage({ id: message.id, value });
});
