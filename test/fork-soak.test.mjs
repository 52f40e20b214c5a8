// Never an intermittent deadlock: 1000 forks from a parent that allocates
// heavily and keeps the libuv threadpool busy; each child allocates, uses a
// timer and the threadpool, and must finish. A per-child watchdog kills a
// child that hangs, and the scenario's own watchdog kills a parent that
// hangs; either fails the test. Nothing here measures speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSoakFinished, runForkScenario, prelude } from './fork-helpers.mjs';

const FORKS = Number(process.env.SOAK_FORKS ?? 1000);
const CONCURRENCY = 4;
// A loaded machine is slow, not hung: no new fork starts after this budget,
// and every fork started must still finish (the count is reported).
const BUDGET_MS = Number(process.env.SOAK_SECONDS ?? 200) * 1000;

test(`soak: ${FORKS} forks (or as many as start within the budget) from a busy, allocating parent all finish`, (t) => {
  const { result } = runForkScenario(
    `${prelude}
    import { readFile } from 'node:fs/promises';
    import { pbkdf2 } from 'node:crypto';
    import { promisify } from 'node:util';
    // The parent: allocation that keeps the GC busy, and the threadpool busy.
    const retained = [];
    const allocator = setInterval(() => {
      retained.push(Array.from({ length: 20000 }, (_, i) => ({ i, s: 'v' + i })));
      if (retained.length > 20) retained.shift();
    }, 1);
    let poolJobs = 0;
    let busy = true;
    const keepPoolBusy = async () => {
      while (busy) {
        await Promise.all([readFile('package.json'), promisify(pbkdf2)('p', 's', 2000, 32, 'sha256')]);
        poolJobs++;
      }
    };
    const pool = Array.from({ length: 4 }, keepPoolBusy);
    // The children.
    const hung = [];
    const bad = [];
    let done = 0;
    const runOne = async (n) => {
      const child = fork(async () => {
        const mine = Array.from({ length: 5000 }, (_, i) => ({ i, n }));
        await new Promise((r) => setTimeout(r, 1));
        const text = await readFile('package.json', 'utf8');
        return mine.length + text.length + retained.length * 0;
      });
      const timer = setTimeout(() => { hung.push(child.pid); child.kill('SIGKILL'); }, 30000);
      try {
        const res = await child;
        if (res.exitCode !== 0 || typeof res.value !== 'number') bad.push({ n, exitCode: res.exitCode, signal: res.signal });
      } catch (e) {
        bad.push({ n, error: String(e) });
      } finally {
        clearTimeout(timer);
      }
      done++;
    };
    let next = 0;
    const deadline = Date.now() + ${BUDGET_MS};
    await Promise.all(Array.from({ length: ${CONCURRENCY} }, async () => {
      while (next < ${FORKS} && Date.now() < deadline) await runOne(next++);
    }));
    busy = false;
    clearInterval(allocator);
    await Promise.all(pool);
    report({ done, started: next, hung, bad: bad.slice(0, 5), badCount: bad.length, poolJobs });
  `,
    // A bound for a hang, not a speed check: a loaded 2-core machine forks
    // this parent in 100-300 ms.
    { timeout: 280_000 },
  );
  assertSoakFinished(t, result, FORKS);
  assert.ok(result.poolJobs > 0, 'the threadpool was busy');
});
