// `npm install` of this package, as `npm pack` makes it, by npm running on
// Windows Node: it installs without a compiler or a prebuild, and loads.
// scripts/test-win32.mjs packs the package and provides the npm CLI and an
// npm cache that holds the dependencies (the install runs offline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { runNode, tempDir, testIsWindowsNode, windowsOnly } from './helpers.mjs';

const { FORKEXEC_WIN32_PACKAGE, FORKEXEC_WIN32_NPM_CLI, FORKEXEC_WIN32_NPM_CACHE } = process.env;
const given = FORKEXEC_WIN32_PACKAGE && FORKEXEC_WIN32_NPM_CLI && FORKEXEC_WIN32_NPM_CACHE;

testIsWindowsNode();

test('npm run test:win32 provided the package, npm and a cache', { skip: windowsOnly }, () => {
  assert.ok(given, 'FORKEXEC_WIN32_PACKAGE, _NPM_CLI and _NPM_CACHE are set by test-win32.mjs');
});

test(
  'npm install forkexec on win32 builds nothing, and the package loads',
  { skip: windowsOnly || (!given && 'not run through npm run test:win32'), timeout: 180_000 },
  async (t) => {
    const dir = tempDir(t, 'forkexec-win32-install-');
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
    );

    // A clean npm environment: none of the npm_* settings of the npm that
    // started the test run, and `node` in install scripts is this node.exe.
    const env = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!/^npm_/i.test(key)) env[key] = value;
    }
    const pathKey = Object.keys(env).find((key) => /^path$/i.test(key)) ?? 'PATH';
    env[pathKey] = [dirname(process.execPath), env[pathKey]].filter(Boolean).join(delimiter);

    const install = await runNode(
      [
        FORKEXEC_WIN32_NPM_CLI,
        'install',
        FORKEXEC_WIN32_PACKAGE,
        '--offline',
        '--cache',
        FORKEXEC_WIN32_NPM_CACHE,
        '--foreground-scripts',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        '--loglevel',
        'verbose',
      ],
      { cwd: app, env, outDir: dir },
    );
    assert.equal(install.code, 0, install.output);
    assert.match(install.output, /run forkexec@\S+ install/, 'the install script ran');
    assert.match(install.output, /forkexec: win32, no native addon to build/);
    assert.doesNotMatch(install.output, /gyp (info|ERR)/);
    assert.ok(!existsSync(join(app, 'node_modules', 'forkexec', 'build')), 'nothing was built');

    const probe =
      "const f = require('forkexec'); let code; try { f.posix.fork() } catch (e) { code = e.code } " +
      "import('forkexec').then((m) => console.log(JSON.stringify({ platform: process.platform, " +
      'code, same: m.posix === f.posix })))';
    const load = await runNode(['-e', probe], { cwd: app, env, outDir: dir });
    assert.equal(load.code, 0, load.output);
    assert.deepEqual(JSON.parse(load.output.trim().split('\n').pop()), {
      platform: 'win32',
      code: 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM',
      same: true,
    });
  },
);
