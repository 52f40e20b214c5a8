/**
 * The floor: a tiny C program that times posix_spawn + waitpid of /bin/true
 * in a loop, compiled on the fly with the system compiler. It runs as a
 * small process of its own, so it shows what the kernel and libc cost
 * without Node around them. Each measuring run compiles it afresh into a
 * private directory and removes that afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

function compiler(): string | null {
  for (const cc of ['cc', 'gcc', 'clang']) {
    if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  }
  return null;
}

let cc: string | null | undefined;

/** The C compiler the floor is built with, or null when this machine has none. */
export function cFloorCompiler(): string | null {
  if (cc === undefined) cc = compiler();
  return cc;
}

/** A compiled floor program, in a directory of its own. */
export interface CFloorBuild {
  /** The private directory (mode 0700, made by mkdtemp) that holds the source and the program. */
  dir: string;
  program: string;
  /** Removes the directory. */
  remove: () => void;
}

/**
 * Compiles the floor into a fresh private directory. Nothing is taken from
 * a previous run: a directory with a predictable name in a shared tmpdir
 * could have been made, and a program planted in it, by another user.
 */
export function buildCFloor(): CFloorBuild {
  const compilerName = cFloorCompiler();
  if (compilerName === null) throw new Error('no C compiler (cc, gcc, clang) on this machine');
  const dir = mkdtempSync(join(tmpdir(), 'forkexec-bench-'));
  const remove = (): void => {
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const source = join(dir, 'floor.c');
    const program = join(dir, 'floor');
    writeFileSync(source, SOURCE, { flag: 'wx', mode: 0o600 });
    execFileSync(compilerName, ['-O2', '-o', program, source], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return { dir, program, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

let current: CFloorBuild | null = null;

/** Before the floor's samples: compile it (the bench method's set-up). */
export function cFloorSetup(): void {
  cFloorTeardown();
  current = buildCFloor();
}

/** After them: remove the program and its directory. */
export function cFloorTeardown(): void {
  current?.remove();
  current = null;
}

/** n samples (ms) of posix_spawn + waitpid from C, by the program cFloorSetup() compiled. */
export function cFloorSamples(n: number): number[] {
  if (current === null) throw new Error('the C floor is not compiled (cFloorSetup first)');
  const out = execFileSync(current.program, [String(n)], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => Number(line) / 1e6);
}
