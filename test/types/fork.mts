// fork(fn) is a Promise (catch, finally); forkSafety() reports codes; 'auto' is a start method.
import { fork, forkSafety, Process, type ForkUnsafeReason } from 'forkexec';

const child = fork(() => 42);
const promise: Promise<unknown> = child;
const settled = await child.catch(() => null).finally(() => undefined);
const value: number | undefined = settled?.value;
const pid: number | undefined = child.pid;
const safety = forkSafety();
const codes: ForkUnsafeReason['code'][] = safety.reasons.map((r) => r.code);
const safe: boolean = safety.safe;
const auto = new Process({ target: { module: '/abs/work.mjs' }, startMethod: 'auto' });
void [promise, value, pid, codes, safe, auto];
// @ts-expect-error: fork(fn) needs a function
void fork('not a function');
// @ts-expect-error: not a start method
void new Process({ target: { module: '/abs/work.mjs' }, startMethod: 'automatic' });
export {};
