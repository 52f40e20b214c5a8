/**
 * What the harness measures: ways to start a unit of work, and the steps of
 * fork() for JavaScript. Each method times one start (to the child's exit for
 * executables, to the result for JavaScript), or hands back a batch of
 * samples measured elsewhere (the C floor, the fork steps).
 */
import { fork as cpFork, spawn as cpSpawn, spawnSync as cpSpawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as posix from '../posix';
import { spawn } from '../spawn';
import { fork, safeModeFlags } from '../fork';
import { Process, forkserver, type StartMethod } from '../process';
import { cFloorCompiler, cFloorSamples, cFloorSetup, cFloorTeardown } from './cFloor';
import { forkStepNote, forkStepSamples, type ForkStep } from './forkSteps';
import { forkMemory, ipcMemory, poolMemory, workerMemory } from './memoryProbes';
import { recordStartUsage } from './startUsage';
import type { UnitMemory } from './unitMemory';

/** Processes running `/bin/true`, units of JavaScript, or one step of fork() for JavaScript. */
export type MethodGroup = 'exec' | 'js' | 'forkStep';

/** Work after the measured part, such as waiting for a child's exit. */
export type Untimed = () => Promise<unknown>;

export interface BenchMethod {
  /** Stable id used by `--methods`, e.g. `'cp.spawn'`. */
  id: string;
  /** What the table and chart call it. */
  label: string;
  group: MethodGroup;
  /** Node flags the measuring process needs (fork needs `--single-threaded`). */
  execArgv?: string[];
  /** Why it cannot run on this machine, or null. */
  unavailable?: () => string | null;
  /** Runs once in the measuring process before any sample (not timed). */
  setup?: () => Promise<void> | void;
  /** Runs once after the last sample (not timed). */
  teardown?: () => Promise<void> | void;
  /**
   * Starts one unit and resolves when its result is in. It may return a
   * clean-up (reaping a child, joining a thread) that runs untimed.
   */
  once?: () => Promise<Untimed | undefined> | Untimed | undefined;
  /** Measures n units itself and returns their times in ms. */
  batch?: (n: number) => number[];
  /** After the samples: what else they found (shown beside the table). */
  note?: () => string | undefined;
  /** After the samples: the memory of one running unit of this kind. */
  memory?: () => Promise<UnitMemory>;
}

const TRUE = '/bin/true';
const TRIVIAL = { module: join(__dirname, 'children', 'trivialTarget.js'), export: 'trivial' };
const SAFE_FORK = safeModeFlags();

function forkexecSpawn(method: 'auto' | 'posix_spawn' | 'vfork' | 'fork'): BenchMethod {
  return {
    id: method === 'auto' ? 'forkexec.spawn' : `forkexec.spawn.${method}`,
    label: method === 'auto' ? 'forkexec spawn (auto)' : `forkexec spawn (${method})`,
    group: 'exec',
    once: async () => {
      recordStartUsage((await spawn(TRUE, [], { stdio: 'ignore', method })).resourceUsage);
      return undefined;
    },
  };
}

function processRun(startMethod: StartMethod): BenchMethod {
  return {
    id: `process.${startMethod}`,
    label: `Process(${startMethod}).run()`,
    group: 'js',
    ...(startMethod === 'fork'
      ? {
          execArgv: SAFE_FORK,
          // What fork is for: the child starts with the parent's modules
          // loaded, as forkserver's children start with its preloads.
          setup: async () => {
            await import(pathToFileURL(TRIVIAL.module).href);
          },
        }
      : {}),
    ...(startMethod === 'forkserver'
      ? {
          setup: () => {
            forkserver.start({ preload: [TRIVIAL.module] });
          },
          teardown: () => forkserver.stop(),
        }
      : {}),
    once: async () => {
      const child = new Process({ target: TRIVIAL, startMethod });
      await child.run();
      recordStartUsage(child.resourceUsage);
      return undefined;
    },
    memory: () => poolMemory(startMethod),
  };
}

/** A Process through a forkserver that did not preload the target: each child imports it. */
function forkserverCold(): BenchMethod {
  return {
    id: 'process.forkserver.cold',
    label: 'Process(forkserver).run(), module not preloaded',
    group: 'js',
    // A server another method left running (or started by a memory probe)
    // may have preloaded the target: this one starts afresh without it.
    setup: async () => {
      await forkserver.stop();
      forkserver.start({ preload: [] });
    },
    teardown: () => forkserver.stop(),
    once: async () => {
      const child = new Process({ target: TRIVIAL, startMethod: 'forkserver' });
      await child.run();
      return undefined;
    },
  };
}

function forkStep(step: ForkStep, label: string): BenchMethod {
  return {
    id: `fork.step.${step}`,
    label,
    group: 'forkStep',
    // The heap as fork(fn) meets it.
    execArgv: SAFE_FORK,
    batch: (n) => forkStepSamples(step, n),
    ...(step === 'scanCached' ? { note: forkStepNote } : {}),
  };
}

const methods: readonly BenchMethod[] = [
  {
    id: 'c.posix_spawn',
    label: 'C posix_spawn+waitpid (floor)',
    group: 'exec',
    unavailable: () =>
      cFloorCompiler() === null ? 'no C compiler (cc, gcc, clang) on this machine' : null,
    setup: cFloorSetup,
    teardown: cFloorTeardown,
    batch: cFloorSamples,
  },
  {
    id: 'posix.posixSpawn',
    label: 'forkexec posix.posixSpawn+waitpid',
    group: 'exec',
    once: () => {
      const pid = posix.posixSpawn(TRUE, ['true']);
      recordStartUsage(posix.waitpid(pid, 0, { resourceUsage: true })?.resourceUsage);
      return undefined;
    },
  },
  forkexecSpawn('auto'),
  forkexecSpawn('posix_spawn'),
  forkexecSpawn('vfork'),
  forkexecSpawn('fork'),
  {
    id: 'cp.spawn',
    label: 'child_process.spawn',
    group: 'exec',
    once: async () => {
      const child = cpSpawn(TRUE, [], { stdio: 'ignore' });
      await once(child, 'exit');
      return undefined;
    },
  },
  {
    id: 'cp.spawnSync',
    label: 'child_process.spawnSync',
    group: 'exec',
    once: () => {
      cpSpawnSync(TRUE, [], { stdio: 'ignore' });
      return undefined;
    },
  },
  {
    id: 'fork.floor',
    label: 'raw posix.fork() + child _exit(0) + waitpid (floor)',
    group: 'js',
    // The same heap and flags as fork(fn) meets.
    execArgv: SAFE_FORK,
    once: () => {
      const pid = posix.fork();
      if (pid === 0) posix._exit(0);
      posix.waitpid(pid);
      return undefined;
    },
  },
  {
    id: 'forkexec.fork',
    label: 'forkexec fork(fn)',
    group: 'js',
    execArgv: SAFE_FORK,
    once: async () => {
      recordStartUsage((await fork(() => 1)).resourceUsage);
      return undefined;
    },
    memory: forkMemory,
  },
  processRun('fork'),
  processRun('forkserver'),
  forkserverCold(),
  processRun('spawn'),
  {
    id: 'worker',
    label: 'new Worker (one message)',
    group: 'js',
    once: async () => {
      const worker = new Worker("require('worker_threads').parentPort.postMessage(1)", {
        eval: true,
      });
      const exited = once(worker, 'exit');
      await once(worker, 'message');
      return () => exited;
    },
    memory: workerMemory,
  },
  {
    id: 'cp.fork',
    label: 'child_process.fork (one IPC message)',
    group: 'js',
    once: async () => {
      const child = cpFork(join(__dirname, 'children', 'ipcChild.js'), [], { stdio: 'ignore' });
      const exited = once(child, 'exit');
      await once(child, 'message');
      return () => exited;
    },
    memory: ipcMemory,
  },
  forkStep('bare', 'fork syscall, heap left MADV_DONTFORK'),
  forkStep('scanFull', 'find MADV_DONTFORK mappings (full smaps scan)'),
  forkStep('scanCached', 'find MADV_DONTFORK mappings (cached, as fork() does)'),
  forkStep('madvise', 'madvise before and after the fork'),
  forkStep('safety', 'safety steps together (cached scan + madvise)'),
  forkStep('heapFork', 'fork syscall, heap forkable'),
];

export function allMethods(): readonly BenchMethod[] {
  return methods;
}
