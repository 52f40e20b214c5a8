// Load: many children at once, large output, and several owners of
// children side by side. Nothing lost, nothing leaked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'forkexec';
import { runForkScenario } from './fork-helpers.mjs';
import { children, openFds } from './helpers.mjs';

test(
  '10,000 spawns with 64 in flight: every exit reported once, with its code; no fd or zombie left',
  { timeout: 600_000 },
  async () => {
    const fdsBefore = openFds().length;
    const TOTAL = 10_000;
    const IN_FLIGHT = 64;
    const seen = new Map();
    let next = 0;
    async function lane() {
      while (next < TOTAL) {
        const i = next++;
        // Odd ones fail: each exit must reach the right owner with the right code.
        const result = await spawn(i % 2 ? '/bin/false' : '/bin/true', [], {
          stdio: 'ignore',
          reject: false,
        });
        assert.ok(!seen.has(i), `exit of spawn ${i} reported twice`);
        seen.set(i, result.exitCode);
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    assert.equal(seen.size, TOTAL);
    for (const [i, code] of seen) assert.equal(code, i % 2 ? 1 : 0, `spawn ${i}`);
    assert.equal(openFds().length, fdsBefore);
    assert.deepEqual(children(), []);
  },
);

/** The bytes `yes <word> | head -c <n>` writes. */
function expectedHash(word, n) {
  const line = Buffer.from(`${word}\n`);
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = line[i % line.length];
  const hash = createHash('sha256');
  // 1 MiB is a multiple of neither line length in general: restart the pattern exactly.
  let offset = 0;
  while (offset < n) {
    const take = Math.min(block.length - (block.length % line.length), n - offset);
    hash.update(block.subarray(0, take));
    offset += take;
  }
  return hash.digest('hex');
}

test(
  '200 MB on stdout and 50 MB on stderr at once arrive complete (hash compared), without deadlock',
  { timeout: 300_000 },
  async () => {
    const OUT = 200 * 1024 * 1024;
    const ERR = 50 * 1024 * 1024;
    const child = spawn(
      '/bin/sh',
      ['-c', `yes abcdefghi | head -c ${OUT} & yes zyx | head -c ${ERR} >&2; wait`],
      { maxBuffer: 300 * 1024 * 1024, encoding: 'buffer' },
    );
    const result = await child;
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout.length, OUT);
    assert.equal(result.stderr.length, ERR);
    assert.equal(
      createHash('sha256').update(result.stdout).digest('hex'),
      expectedHash('abcdefghi', OUT),
    );
    assert.equal(
      createHash('sha256').update(result.stderr).digest('hex'),
      expectedHash('zyx', ERR),
    );
  },
);

test('maxBuffer cuts a large output off with a clear error, and the child does not hang', async () => {
  await assert.rejects(
    spawn('/bin/sh', ['-c', 'yes | head -c 50000000'], { maxBuffer: 1024 * 1024 }),
    (error) => {
      assert.match(error.message, /maxBuffer/);
      assert.equal(error.maxBufferExceeded, true);
      assert.ok(error.stdout.length <= 1024 * 1024);
      return true;
    },
  );
  assert.deepEqual(children(), []);
});

test('forkexec spawns, forkexec forks and child_process spawns at once: every owner gets each of its exits', () => {
  const { result } = runForkScenario(
    `
    import { spawn, fork } from 'forkexec';
    import { spawn as cpSpawn } from 'node:child_process';
    import { once } from 'node:events';
    import { writeSync } from 'node:fs';
    const report = (value) => writeSync(1, 'RESULT ' + JSON.stringify(value) + '\\n');
    const ROUNDS = 40;
    const got = { spawn: [], fork: [], cp: [] };
    const jobs = [];
    for (let i = 0; i < ROUNDS; i++) {
      const code = i % 7;
      jobs.push(spawn('/bin/sh', ['-c', 'exit ' + code], { stdio: 'ignore', reject: false }).then((r) => got.spawn.push([i, r.exitCode])));
      jobs.push(Promise.resolve(fork(() => code)).then((r) => got.fork.push([i, r.exitCode === 0 ? r.value : -1])));
      const c = cpSpawn('/bin/sh', ['-c', 'exit ' + code], { stdio: 'ignore' });
      jobs.push(once(c, 'exit').then(([exitCode]) => got.cp.push([i, exitCode])));
    }
    await Promise.all(jobs);
    report(got);
  `,
    { timeout: 180_000 },
  );
  for (const owner of ['spawn', 'fork', 'cp']) {
    const exits = new Map(result[owner]);
    assert.equal(exits.size, 40, `${owner} got every exit once`);
    for (const [i, code] of exits) assert.equal(code, i % 7, `${owner} ${i}`);
  }
});
