/**
 * The checks that ask the file system, made in the parent before anything
 * is started: the executable (PATH lookup like execvp, but with the child's
 * `env.PATH`), and the working directory. They return system errors rather
 * than throw, so spawn() can report them the way it reports a failed start.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { systemError, type SystemError } from '../errors';

/** glibc's execvp default when there is no PATH at all. */
const DEFAULT_PATH = '/bin:/usr/bin';

type Check = { ok: true } | { ok: false; errno: number };

const ENOENT = 2;
const EACCES = 13;
const ENOTDIR = 20;

/** statSync that reports failures as an errno: EACCES stays EACCES, the rest is ENOENT. */
function statOf(path: Buffer): ReturnType<typeof statSync> | number {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? ENOENT;
  } catch (error) {
    return (error as { code?: string }).code === 'EACCES' ? EACCES : ENOENT;
  }
}

function executable(path: Buffer): Check {
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

const SLASH = 0x2f;
const COLON = 0x3a;

/** `dir/name` as bytes: no decoding, no lexical `..` folding (the kernel resolves it as the child will). */
function joinBytes(dir: Buffer, name: Buffer): Buffer {
  const slash = dir.length > 0 && dir[dir.length - 1] === SLASH ? [] : [Buffer.of(SLASH)];
  return Buffer.concat([dir, ...slash, name]);
}

/** The entries of a PATH value, split on ':' byte for byte; an empty one means '.'. */
function pathEntries(envPath: Buffer): Buffer[] {
  const entries: Buffer[] = [];
  let from = 0;
  for (;;) {
    const colon = envPath.indexOf(COLON, from);
    const entry = envPath.subarray(from, colon === -1 ? envPath.length : colon);
    entries.push(entry.length === 0 ? Buffer.from('.') : entry);
    if (colon === -1) return entries;
    from = colon + 1;
  }
}

/** Where `path` is in the child: relative paths are relative to its cwd when given, else ours. */
function inChildCwd(path: Buffer, cwd: Buffer | null): Buffer {
  return cwd === null || path[0] === SLASH ? path : joinBytes(cwd, path);
}

/**
 * The path the child will execve: `file` itself when it holds a slash, else
 * the first executable `dir/file` along PATH. Like execvp, a candidate that
 * exists but cannot be executed is remembered (EACCES) and the search goes on.
 * Everything stays bytes, so non-UTF-8 names are found as they are.
 */
export function resolveExecutable(
  file: Buffer,
  fileText: string,
  envPath: Buffer | undefined,
  cwd: Buffer | null,
): { path: Buffer } | { error: SystemError } {
  if (file.includes(SLASH)) {
    const check = executable(inChildCwd(file, cwd));
    if (check.ok) return { path: file };
    return { error: systemError(check.errno, 'execve', { path: fileText }) };
  }
  let sawEacces = false;
  for (const dir of pathEntries(envPath ?? Buffer.from(DEFAULT_PATH))) {
    const candidate = joinBytes(dir, file);
    const check = executable(inChildCwd(candidate, cwd));
    if (check.ok) return { path: candidate };
    if (check.errno === EACCES) sawEacces = true;
  }
  return { error: systemError(sawEacces ? EACCES : ENOENT, 'execve', { path: fileText }) };
}

/** The cwd must be a directory the child can enter; `text` is how errors name it. */
export function checkCwd(cwd: Buffer, text: string): SystemError | undefined {
  const stat = statOf(cwd);
  if (typeof stat === 'number' || stat === undefined) {
    return systemError(typeof stat === 'number' ? stat : ENOENT, 'chdir', { path: text });
  }
  if (!stat.isDirectory()) return systemError(ENOTDIR, 'chdir', { path: text });
  try {
    accessSync(cwd, fsConstants.X_OK);
  } catch {
    return systemError(EACCES, 'chdir', { path: text });
  }
  return undefined;
}
