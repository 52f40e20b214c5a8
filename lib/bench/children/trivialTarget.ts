// The trivial target the start-method benchmarks run in a child.
export function trivial(): number {
  return 1;
}
