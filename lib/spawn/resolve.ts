/**
 * The checks that ask the file system, made in the parent before anything
 * is started: the executable (PATH lookup like execvp, but with the child's
 * `env.PATH`), and the working directory. They return system errors rather
 * than throw, so spawn() can report them the way it reports a failed start.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { systemError, type SystemError } from '../errors';

/** glibc's execvp default when there is no PATH at all. */
const DEFAULT_PATH = '/bin:/usr/bin';

type Check = { ok: true } | { ok: false; errno: number };

const ENOENT = 2;
const EACCES = 13;
const ENOTDIR = 20;

/** statSync that reports failures as an errno: EACCES stays EACCES, the rest is ENOENT. */
function statOf(path: string | Buffer): ReturnType<typeof statSync> | number {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? ENOENT;
  } catch (error) {
    return (error as { code?: string }).code === 'EACCES' ? EACCES : ENOENT;
  }
}

function executable(path: string | Buffer): Check {
  const stat = statOf(path);
  if (typeof stat === 'number' || stat === undefined) {
    return { ok: false, errno: typeof stat === 'number' ? stat : ENOENT };
  }
  if (!stat.isFile()) return { ok: false, errno: EACCES };
  try {
    accessSync(path, fsConstants.X_OK);
  } catch {
    return { ok: false, errno: EACCES };
  }
  return { ok: true };
}

/** The directory `cwd` is relative to in the child: its cwd when given, else ours. */
function inChildCwd(path: string, cwd: string | undefined): string {
  return cwd === undefined || isAbsolute(path) ? path : join(cwd, path);
}

/**
 * The path the child will execve: `file` itself when it holds a slash, else
 * the first executable `dir/file` along PATH. Like execvp, a candidate that
 * exists but cannot be executed is remembered (EACCES) and the search goes on.
 */
export function resolveExecutable(
  file: Buffer,
  fileText: string,
  envPath: string | undefined,
  cwd: string | undefined,
): { path: Buffer } | { error: SystemError } {
  if (file.includes(0x2f)) {
    const check = executable(
      cwd === undefined || file[0] === 0x2f ? file : inChildCwd(fileText, cwd),
    );
    if (check.ok) return { path: file };
    return { error: systemError(check.errno, 'execve', { path: fileText }) };
  }
  let sawEacces = false;
  for (const entry of (envPath ?? DEFAULT_PATH).split(':')) {
    const dir = entry === '' ? '.' : entry;
    const candidate = Buffer.concat([Buffer.from(`${dir}/`, 'utf8'), file]);
    const check = executable(inChildCwd(candidate.toString('utf8'), cwd));
    if (check.ok) return { path: candidate };
    if (check.errno === EACCES) sawEacces = true;
  }
  return { error: systemError(sawEacces ? EACCES : ENOENT, 'execve', { path: fileText }) };
}

/** The cwd must be a directory the child can enter. */
export function checkCwd(cwd: string): SystemError | undefined {
  const stat = statOf(cwd);
  if (typeof stat === 'number' || stat === undefined) {
    return systemError(typeof stat === 'number' ? stat : ENOENT, 'chdir', { path: cwd });
  }
  if (!stat.isDirectory()) return systemError(ENOTDIR, 'chdir', { path: cwd });
  try {
    accessSync(cwd, fsConstants.X_OK);
  } catch {
    return systemError(EACCES, 'chdir', { path: cwd });
  }
  return undefined;
}
