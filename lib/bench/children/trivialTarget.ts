// The targets the harness runs in a child (Process, Pool) or a Worker.
export function trivial(): number {
  return 1;
}

/** The messaging benchmarks' task: its argument back. */
export function echo(value: unknown): unknown {
  return value;
}

/** One chunk of a map: every value back. */
export function echoAll(values: unknown[]): unknown[] {
  return values.map(echo);
}

/** A fixed amount of CPU work (the scaling benchmark calibrates `iterations` to about 50 ms). */
export function spin(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x + Math.sqrt(i)) % 1e9;
  return x;
}

/** Stays alive `ms` so its memory can be read, then says who it was. */
export async function pidAfter(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return process.pid;
}
