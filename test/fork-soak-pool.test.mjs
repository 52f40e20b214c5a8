// Never a hung threadpool in a forked child: forks while the parent keeps
// dns, fs, crypto and zlib work in flight, each child using all four. A
// per-child watchdog kills a child that hangs, and the scenario's own watchdog
// kills a parent that hangs; either fails the test. Nothing here measures
// speed. (Its own file: each soak gets the whole per-file time limit.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSoakFinished, runForkScenario, prelude } from './fork-helpers.mjs';

// Issue: a child's own threadpool work hung forever when the parent had work
// in flight at the fork (a pool thread holding the loop's work-queue mutex,
// or libuv's count of running DNS jobs copied from the parent). Both shapes
// and the fork start method fork here while the parent keeps dns, fs,
// crypto and zlib work in flight; every child uses all four.
const POOL_FORKS = Number(process.env.SOAK_POOL_FORKS ?? 300);
// A loaded machine is slow, not hung: no new fork starts after this budget,
// and every fork started must still finish (the count is reported).
const BUDGET_MS = Number(process.env.SOAK_SECONDS ?? 200) * 1000;

test(`soak: ${POOL_FORKS} forks while dns, fs, crypto and zlib work is in flight; every child's pool works (or as many as start within the budget)`, (t) => {
  const { result } = runForkScenario(
    `${prelude}
    import { readFile } from 'node:fs/promises';
    import { lookup } from 'node:dns/promises';
    import { pbkdf2 } from 'node:crypto';
    import { gzip } from 'node:zlib';
    import { promisify } from 'node:util';
    const usePool = () => Promise.all([
      lookup('localhost'),
      readFile('package.json'),
      promisify(pbkdf2)('p', 's', 1000, 32, 'sha256'),
      promisify(gzip)(Buffer.alloc(64 * 1024, 7)),
    ]);
    let busy = true;
    let parentJobs = 0;
    const keepPoolBusy = async () => { while (busy) { await usePool(); parentJobs++; } };
    const feeders = Array.from({ length: 4 }, keepPoolBusy);
    const hung = [];
    const bad = [];
    let done = 0;
    const guard = (child) => setTimeout(() => { hung.push(child.pid); child.kill('SIGKILL'); }, 30000);
    const fnShape = async (n) => {
      const child = fork(async () => (await usePool()).length);
      const timer = guard(child);
      try {
        const res = await child;
        if (res.exitCode !== 0 || res.value !== 4) bad.push({ n, exitCode: res.exitCode, value: res.value });
      } catch (e) { bad.push({ n, error: String(e) }); } finally { clearTimeout(timer); }
    };
    const posixShape = async (n) => {
      const pid = fork();
      if (pid === 0) {
        usePool().then(() => process.exit(0), () => process.exit(3));
        return 'child';
      }
      const timer = setTimeout(() => { hung.push(pid); posix.kill(pid, 'SIGKILL'); }, 30000);
      // waitpid with WNOHANG in a loop: the parent's own loop must keep turning.
      let status = null;
      while (!(status = posix.waitpid(pid, posix.constants.WNOHANG))) await new Promise((r) => setTimeout(r, 2));
      clearTimeout(timer);
      if (status.exitCode !== 0) bad.push({ n, posixExit: status.exitCode, signal: status.signal });
    };
    let next = 0;
    let inChild = false;
    const deadline = Date.now() + ${BUDGET_MS};
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < ${POOL_FORKS} && !inChild && Date.now() < deadline) {
        const n = next++;
        const shape = n % 10 === 0 ? posixShape : fnShape;
        if ((await shape(n)) === 'child') { inChild = true; return; }
        done++;
      }
    }));
    if (!inChild) {
      busy = false;
      await Promise.all(feeders);

      report({ done, started: next, hung, bad: bad.slice(0, 5), badCount: bad.length, parentJobs });
    }
  `,
    { timeout: 280_000 },
  );
  assertSoakFinished(t, result, POOL_FORKS);
  assert.ok(result.parentJobs > 0, 'the parent kept the pool busy');
});
