// Checks (or with --fix, rewrites) native/ against .clang-format, using the
// clang-format binary that the npm package of that name ships.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { getNativeBinary } = require('clang-format');
const fix = process.argv.includes('--fix');
const files = readdirSync('native')
  .filter((name) => /\.(cc|c|h)$/.test(name))
  .map((name) => join('native', name));

let bad = 0;
for (const file of files) {
  if (fix) {
    execFileSync(getNativeBinary(), ['-i', '-style=file', file]);
    continue;
  }
  const formatted = execFileSync(getNativeBinary(), ['-style=file', file], { encoding: 'utf8' });
  if (formatted !== readFileSync(file, 'utf8')) {
    console.error(`${file}: not clang-formatted (run npm run format)`);
    bad++;
  }
}
if (bad > 0) process.exit(1);
