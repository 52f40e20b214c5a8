/**
 * The floor: a tiny C program that times posix_spawn + waitpid of /bin/true
 * in a loop, compiled on the fly with the system compiler. It runs as a
 * small process of its own, so it shows what the kernel and libc cost
 * without Node around them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = String.raw`
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  char *child[] = {"/bin/true", NULL};
  for (int i = 0; i < n; i++) {
    struct timespec a, b;
    pid_t pid;
    int status;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (posix_spawn(&pid, child[0], NULL, NULL, child, environ) != 0) return 1;
    if (waitpid(pid, &status, 0) != pid) return 2;
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
  }
  return 0;
}
`;

let compiled: string | null | undefined;

function compiler(): string | null {
  for (const cc of ['cc', 'gcc', 'clang']) {
    if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  }
  return null;
}

/** The compiled floor program, or null when this machine has no C compiler. */
export function cFloorProgram(): string | null {
  if (compiled !== undefined) return compiled;
  const cc = compiler();
  if (cc === null) return (compiled = null);
  const dir = join(tmpdir(), `forkexec-bench-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  const source = join(dir, 'floor.c');
  const binary = join(dir, 'floor');
  if (!existsSync(binary)) {
    writeFileSync(source, SOURCE);
    execFileSync(cc, ['-O2', '-o', binary, source]);
  }
  return (compiled = binary);
}

/** n samples (ms) of posix_spawn + waitpid from C. */
export function cFloorSamples(n: number): number[] {
  const program = cFloorProgram();
  if (program === null) throw new Error('no C compiler');
  const out = execFileSync(program, [String(n)], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => Number(line) / 1e6);
}
