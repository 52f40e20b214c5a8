// A child_process.fork child for the messaging, scaling and memory
// benchmarks: answers each IPC message until the parent disconnects.
import { answer, type Request } from './answer';

process.on('message', (message: Request) => {
  process.send?.({ id: message.id, value: answer(message) });
});
process.send?.('ready');
