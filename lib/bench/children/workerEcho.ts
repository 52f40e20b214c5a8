// A worker_threads worker for the harness's own Worker pool: answers each
// message with the work it names, until the pool terminates it.
import { parentPort } from 'node:worker_threads';
import { answer, type Request } from './answer';

parentPort?.on('message', (message: Request) => {
  parentPort?.postMessage({ id: message.id, value: answer(message) });
});
