// The published shape: `npm pack`, install the tarball into an empty project
// (which compiles the addon there), then require and import it and spawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, tempDir } from './helpers.mjs';

const npm = (args, cwd) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });

// CI runs the suite on four Node lines within its time limit; the tarball
// install (about three minutes, most of it compiling) runs on one of them.
const skipPackage = process.env.FORKEXEC_SKIP_TARBALL_INSTALL
  ? `FORKEXEC_SKIP_TARBALL_INSTALL is set: ${process.env.FORKEXEC_SKIP_TARBALL_INSTALL}`
  : false;

test(
  'the packed tarball installs into an empty project, and require and import both work',
  { timeout: 600_000, skip: skipPackage },
  () => {
    const { dir, cleanup } = tempDir('forkexec-consumer-');
    try {
      const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], root));
      const files = packed.files.map((f) => f.path);
      assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'));
      assert.ok(files.includes('esm/index.mjs') && files.includes('binding.gyp'));
      assert.ok(files.some((f) => f.startsWith('native/')));
      assert.ok(!files.some((f) => /^(build|test|lib|node_modules)\//.test(f)), files.join(' '));

      const project = join(dir, 'project');
      execFileSync('mkdir', [project]);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true }),
      );
      npm(['install', '--no-audit', '--no-fund', join(dir, packed.filename)], project);

      const spawnAndWait = `
      const pid = posix.posixSpawn('/bin/sh', ['sh', '-c', 'exit 5']);
      if (posix.waitpid(pid).exitCode !== 5) throw new Error('wrong exit code');
      console.log('spawned');`;
      const cjs = execFileSync(
        process.execPath,
        ['-e', `const { posix } = require('forkexec');${spawnAndWait}`],
        {
          cwd: project,
          encoding: 'utf8',
        },
      );
      assert.equal(cjs.trim(), 'spawned');
      const esm = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `const { posix } = await import('forkexec');${spawnAndWait}`],
        { cwd: project, encoding: 'utf8' },
      );
      assert.equal(esm.trim(), 'spawned');
      const named = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { posix } from 'forkexec'; console.log(typeof posix.waitpid);`,
        ],
        { cwd: project, encoding: 'utf8' },
      );
      assert.equal(named.trim(), 'function');

      // Both commands are installed: the bench harness and the --single-threaded launcher.
      const bin = join(project, 'node_modules', '.bin');
      const help = execFileSync(join(bin, 'forkexec'), ['bench', '--help'], { encoding: 'utf8' });
      assert.match(help, /usage: forkexec bench/);
      const launched = execFileSync(
        join(bin, 'forkexec-node'),
        ['-e', 'console.log(process.execArgv.join(" "))'],
        { cwd: project, encoding: 'utf8' },
      );
      assert.match(launched, /--single-threaded/);
    } finally {
      cleanup();
    }
  },
);
