// Process typed from its target: args checked against Parameters<F>, join()
// giving Awaited<ReturnType<F>>; module targets typed through moduleTarget().
import { Process, moduleTarget } from 'forkexec';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

const sum = (items: number[]): number => items.reduce((a, b) => a + b, 0);
const p = new Process({ target: sum, args: [[1, 2, 3]], startMethod: 'fork' });
const total = await p.run();
expectType<Equal<typeof total, number>>();

const slow = async (name: string, times: number): Promise<string> => name.repeat(times);
const repeated = await new Process({ target: slow, args: ['a', 3], startMethod: 'fork' }).run();
expectType<Equal<typeof repeated, string>>();

declare function square(x: number): number;
const typed = moduleTarget<typeof square>({ module: '/abs/work.mjs', export: 'square' });
const squared = await new Process({ target: typed, args: [4] }).run();
expectType<Equal<typeof squared, number>>();

// A plain module target: nothing is known.
const plain = await new Process({ target: { module: '/abs/work.mjs' }, args: ['x', 1] }).run();
expectType<Equal<typeof plain, unknown>>();

// @ts-expect-error: args must fit the function (['x'] is not number[])
new Process({ target: sum, args: ['x'] });
// @ts-expect-error: too many arguments
new Process({ target: typed, args: [1, 2] });
// @ts-expect-error: the result is a number, not a string
const notString: string = await p.join();
void notString;
export {};
