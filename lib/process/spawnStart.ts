/**
 * The `spawn` start method: a fresh `node` (this process's execPath and
 * node flags) running spawnMain with the channel at fd 3. On POSIX it is
 * started with posix_spawn and watched with a pidfd; where there is no addon
 * (win32, darwin, ...) through child_process.
 */
import { spawn as cpSpawn } from 'node:child_process';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { watchChildProcess } from '../exitWatch/childProcess';
import { isLinux } from '../native';
import { Channel, channelFromFd } from '../channel/framedChannel';
import { HELPER_CHANNEL_FD, childExecArgv, spawnNodeHelper } from './spawnNodeHelper';
import { SPAWN_ONE_TASK, SPAWN_TASKS } from './spawnMode';
import type { ChildOptions, StartedChild } from './startedChild';
import { watchedChild } from './watchedChild';

const SPAWN_MAIN = join(__dirname, 'spawnMain.js');

function startPosix(options: ChildOptions): StartedChild {
  const helper = spawnNodeHelper(
    {
      // The socket is blocking on the child's side: spawnMain reads its
      // first task synchronously (see spawnMain).
      argv: [SPAWN_MAIN, options.oneTask ? SPAWN_ONE_TASK : SPAWN_TASKS],
      execArgv: childExecArgv(),
      seqpacket: false,
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    },
    'the spawn start method',
  );
  return watchedChild(helper.watch, channelFromFd(helper.channelFd), options.firstFrame);
}

function startWin32(options: ChildOptions): StartedChild {
  const child = cpSpawn(process.execPath, [...childExecArgv(), SPAWN_MAIN], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    windowsHide: true,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const channel = new Channel(child.stdio[HELPER_CHANNEL_FD] as Duplex);
  return watchedChild(watchChildProcess(child), channel, options.firstFrame);
}

export function spawnStart(options: ChildOptions): StartedChild {
  return isLinux ? startPosix(options) : startWin32(options);
}
