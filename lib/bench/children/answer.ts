// What the harness's own pool children (a Worker, a child_process.fork
// child) do with one request `{ id, op, arg }`.
import { echo, echoAll, spin } from './trivialTarget';

export interface Request {
  id: number;
  op: 'echo' | 'echoAll' | 'spin';
  arg: unknown;
}

export function answer(request: Request): unknown {
  switch (request.op) {
    case 'spin':
      return spin(request.arg as number);
    case 'echoAll':
      return echoAll(request.arg as unknown[]);
    default:
      return echo(request.arg);
  }
}
