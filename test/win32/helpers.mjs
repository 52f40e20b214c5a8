// Shared by the Windows tests (test/win32/*.test.mjs), which run under the
// real Windows build of Node: see scripts/test-win32.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The `skip` option of every test but the platform check: elsewhere these
 * tests would run Linux code paths (the install step would compile).
 */
export const windowsOnly =
  process.platform === 'win32' ? false : `needs Windows Node: run npm run test:win32`;

/** The first test of each file: fails unless this is the Windows build of Node. */
export function testIsWindowsNode() {
  test('this is the Windows build of Node', () => {
    assert.equal(process.platform, 'win32', 'not Windows Node: run npm run test:win32');
    assert.match(process.execPath, /\.exe$/i);
  });
}

/** A fresh temporary directory, removed after the test. */
export function tempDir(t, prefix = 'forkexec-win32-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let outputs = 0;

/**
 * Runs this node.exe with `args`, stdout and stderr to one file (under Wine
 * a file is what works; a pipe may not), and resolves with `{ code, signal,
 * output }` once it has exited.
 */
export async function runNode(args, { cwd, env = process.env, outDir } = {}) {
  const dir = outDir ?? mkdtempSync(join(tmpdir(), 'forkexec-win32-out-'));
  const outPath = join(dir, `output-${++outputs}.txt`);
  const out = openSync(outPath, 'w');
  let child;
  try {
    child = spawn(process.execPath, args, {
      cwd,
      env,
      stdio: ['ignore', out, out],
      windowsHide: true,
    });
  } finally {
    closeSync(out);
  }
  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve([c, s]));
  });
  const output = readFileSync(outPath, 'utf8');
  if (!outDir) rmSync(dir, { recursive: true, force: true });
  return { code, signal, output, pid: child.pid };
}
