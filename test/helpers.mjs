// Shared by the tests: what the kernel says about this process's fds and
// children, and small ways to run real processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSync, closeSync } from 'node:fs';
import { posix, safeModeFlags } from 'forkexec';

/** The package root: scripts run by runNode resolve 'forkexec' from here. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The node flags fork() needs on this Node (`--single-threaded`, plus `--minor-ms` on V8 14+). */
export const safeFlags = safeModeFlags();

/** The fds open in this process, from /proc/self/fd (without the one readdir used). */
export function openFds() {
  const fds = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.push({ fd: Number(name), target: readlinkSync(`/proc/self/fd/${name}`) });
    } catch {
      // the directory fd readdir had open is gone by now
    }
  }
  return fds.sort((a, b) => a.fd - b.fd);
}

/** The children of this process from /proc: `{ pid, state }` (state 'Z' is a zombie). */
export function children(parent = process.pid) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === parent) found.push({ pid: Number(name), state: fields[0] });
  }
  return found;
}

/** Runs a script with this node and returns { status, signal, stdout, stderr }. */
export function runNode(source, { execArgv = [], env, timeout = 60_000, input } = {}) {
  const result = spawnSync(process.execPath, [...execArgv, '--input-type=module', '-e', source], {
    encoding: 'utf8',
    cwd: root,
    env: env ?? process.env,
    timeout,
    input,
  });
  return result;
}

/**
 * Why a test cannot run node as the user `uid` (false when it can): it needs
 * root, setpriv, a checkout that user can read (a clone inside a private
 * 0700 directory is not) and a node binary it can run.
 */
export function cannotRunAs(uid) {
  if (process.getuid?.() !== 0) return 'needs root to run node as another user';
  const asUser = (...command) =>
    spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...command]);
  const read = asUser('test', '-r', join(root, 'package.json'));
  if (read.error) return 'needs setpriv to run node as another user';
  if (read.status !== 0) return `user ${uid} cannot read this checkout (${root})`;
  const run = asUser('test', '-x', process.execPath);
  return run.status === 0 ? false : `user ${uid} cannot run this node (${process.execPath})`;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'forkexec-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reads a /proc/<pid>/status field such as 'SigBlk' or 'Uid'. */
export function statusField(text, field) {
  const line = text.split('\n').find((l) => l.startsWith(`${field}:`));
  return line === undefined ? undefined : line.slice(field.length + 1).trim();
}

/** Reads a pipe's read end until EOF (blocking), then closes it. */
export function readAll(fd) {
  const chunks = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  closeSync(fd);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * posix_spawn `path argv` with its stdout on a pipe; returns { stdout, status }.
 * `fileActions` are applied after stdout is in place.
 */
export function spawnCapture(path, argv, options = {}) {
  const [readFd, writeFd] = posix.pipe();
  let pid;
  try {
    pid = posix.posixSpawn(path, argv, {
      ...options,
      fileActions: [{ action: 'dup2', fd: writeFd, newFd: 1 }, ...(options.fileActions ?? [])],
    });
  } finally {
    posix.close(writeFd);
  }
  const stdout = readAll(readFd);
  return { stdout, status: posix.waitpid(pid) };
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ...]. */
export function statFields(text) {
  return text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}

/** Whether signal number `n` is set in a hex mask from /proc/<pid>/status. */
export function maskHas(hex, n) {
  return ((BigInt(`0x${hex}`) >> BigInt(n - 1)) & 1n) === 1n;
}

/**
 * Blocks until `pid` sleeps in the kernel (its wchan names a sleep), at most
 * 10 s: a program such as sleep(1) opens files (locale data) while it starts,
 * so its fd table is only its own once it sleeps.
 */
export function waitUntilAsleep(pid) {
  const deadline = Date.now() + 10_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!/sleep/.test(readFileSync(`/proc/${pid}/wchan`, 'utf8')) && Date.now() < deadline) {
    Atomics.wait(pause, 0, 0, 5);
  }
}
