/**
 * The `spawn` start method: a fresh `node` (this process's execPath and
 * node flags) running spawnMain with the channel at fd 3. On POSIX it is
 * started with posix_spawn and watched with a pidfd; where there is no addon
 * (win32, darwin, ...) through child_process.
 */
import { spawn as cpSpawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { binding, isLinux } from '../native';
import { watchExit } from '../exitWatcher';
import * as posix from '../posix';
import { EVERY_SIGNAL, signalName } from '../signals';
import { Channel, channelFromFd } from './channel';
import { setRefs } from './refs';
import type { ChildOptions, StartedChild } from './startedChild';

const SPAWN_MAIN = join(__dirname, 'spawnMain.js');
const CHANNEL_FD = 3;

/** Flags that run code or tools of their own, and must not reach a child that runs spawnMain. */
const DROPPED_WITH_VALUE = new Set([
  '-e',
  '--eval',
  '-p',
  '--print',
  '-r',
  '--require',
  '--import',
]);
const DROPPED_PREFIXES = [
  '--input-type',
  '--test',
  '--watch',
  '--inspect',
  '--debug',
  '-i',
  '--interactive',
  '--check',
  '-c',
];

/** process.execArgv without the flags that would make the child something other than a plain node. */
export function childExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] ?? '';
    if (DROPPED_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (
      DROPPED_PREFIXES.some((p) => arg === p || arg.startsWith(`${p}=`) || arg.startsWith(`${p}-`))
    )
      continue;
    out.push(arg);
  }
  return out;
}

function startPosix(options: ChildOptions): StartedChild {
  const native = binding('the spawn start method');
  const [parentEnd, childEnd] = native.socketpair(false, true);
  let pid: number;
  try {
    pid = posix.posixSpawn(process.execPath, [process.execPath, ...childExecArgv(), SPAWN_MAIN], {
      ...(options.env === undefined ? {} : { env: options.env }),
      fileActions: [
        { action: 'dup2', fd: childEnd, newFd: CHANNEL_FD },
        { action: 'closefrom', fd: CHANNEL_FD + 1 },
        ...(options.cwd === undefined ? [] : [{ action: 'chdir' as const, path: options.cwd }]),
      ],
      // A fresh node starts as any program would: no signal ignored (Node
      // ignores SIGPIPE; glibc's posix_spawn would leave 32 and 33), none blocked.
      setsigdef: [...EVERY_SIGNAL],
      setsigmask: [],
    });
  } catch (error) {
    posix.close(parentEnd);
    throw error;
  } finally {
    posix.close(childEnd);
  }
  const watch = watchExit(pid);
  const channel = channelFromFd(parentEnd);
  return {
    pid,
    channel,
    exited: watch.exited.then((s) => ({ exitCode: s.exitCode, signal: s.signal })),
    kill: (signal) => watch.kill(signal),
    setRef: (on) => {
      setRefs(on, watch, channel);
    },
  };
}

function startWin32(options: ChildOptions): StartedChild {
  const child = cpSpawn(process.execPath, [...childExecArgv(), SPAWN_MAIN], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    windowsHide: true,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const stream = child.stdio[CHANNEL_FD] as Duplex;
  const channel = new Channel(stream);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    exitCode: code as number | null,
    signal: signal as string | null,
  }));
  return {
    pid: child.pid ?? 0,
    channel,
    exited,
    kill: (signal) => {
      const name = signalName(signal) as NodeJS.Signals;
      return (
        child.exitCode === null &&
        child.signalCode === null &&
        child.kill(name in osConstants.signals ? name : 'SIGTERM')
      );
    },
    setRef: (on) => {
      setRefs(on, child, channel);
    },
  };
}

export function spawnStart(options: ChildOptions): StartedChild {
  return isLinux ? startPosix(options) : startWin32(options);
}
