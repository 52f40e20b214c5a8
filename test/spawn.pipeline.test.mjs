// Pipelines (#17): a.pipe(file) and pipeline([...]) join children with a real
// kernel pipe (the reader's fd 0 is the writer's fd 1, the parent holds
// neither end), resolve with every result, fail like a shell (pipefail when
// asked), and never wait for a write end nobody will close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { pipeline, spawn, SubprocessError } from 'forkexec';

function watchdog(promise, ms, what) {
  let timer;
  const bark = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${what} still pending`)), ms);
  });
  return Promise.race([promise, bark]).finally(() => clearTimeout(timer));
}

const settled = (p) =>
  p.then(
    (result) => ({ result }),
    (error) => ({ error }),
  );

function parentFdTargets() {
  return readdirSync('/proc/self/fd').map((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return null;
    }
  });
}

test('a.pipe(file): the output of one is the input of the other', async () => {
  const a = spawn('printf', ['c\\na\\nb\\n']);
  const b = a.pipe('sort');
  const r = await watchdog(b, 60_000, 'printf | sort');
  assert.equal(r.stdout, 'a\nb\nc\n');
  assert.equal(r.pipedFrom.exitCode, 0);
  assert.equal(r.pipedFrom.stdout, undefined, 'the parent read none of it');
  // Three in a row, options and args as in spawn(). (Not `cat -n`: coreutils
  // asks it for an aligned_alloc that test:sanitize's preloaded ASan refuses.)
  const c = await spawn('printf', ['x\\ny\\n'])
    .pipe('tr', ['a-z', 'A-Z'])
    .pipe('wc', ['-l'], { encoding: 'buffer' });
  assert.ok(Buffer.isBuffer(c.stdout));
  assert.equal(String(c.stdout).trim(), '2');
});

test('the pipe is a kernel pipe between the children: the parent has no end of it', async () => {
  const a = spawn('sleep', ['30']);
  const b = a.pipe('sleep', ['30']);
  try {
    const writeEnd = readlinkSync(`/proc/${a.pid}/fd/1`);
    const readEnd = readlinkSync(`/proc/${b.pid}/fd/0`);
    assert.match(writeEnd, /^pipe:\[\d+\]$/);
    assert.equal(readEnd, writeEnd, "b's stdin is a's stdout");
    assert.ok(!parentFdTargets().includes(writeEnd), 'the parent closed its copies');
  } finally {
    a.kill('SIGKILL');
    b.kill('SIGKILL');
    await Promise.all([settled(a), settled(b)]);
  }
});

test('failures: the writer failing rejects, a SIGPIPE of the writer does not', async () => {
  const failing = await settled(spawn('sh', ['-c', 'echo x; exit 3']).pipe('cat'));
  assert.ok(failing.error instanceof SubprocessError);
  assert.equal(failing.error.exitCode, 3);
  // `yes` dies of SIGPIPE once head has its line: normal for a pipeline.
  const r = await watchdog(spawn('yes').pipe('head', ['-n', '1']), 60_000, 'yes | head');
  assert.equal(r.stdout, 'y\n');
  assert.equal(r.pipedFrom.signal, 'SIGPIPE');
  const reader = await settled(spawn('true').pipe('sh', ['-c', 'exit 4']));
  assert.equal(reader.error.exitCode, 4);
  assert.throws(() => spawn('true').pipe('cat', [], { stdio: ['pipe'] }), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
  assert.throws(() => spawn('true', [], { stdio: 'inherit' }).pipe('cat'), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
});

test('a write end is never left open: a missing reader or writer ends, not hangs', async () => {
  // The reader cannot start: the writer's output stays the parent's, collected.
  const a = spawn('sh', ['-c', 'echo hi']);
  const missing = await watchdog(settled(a.pipe('no-such-program-xyz')), 60_000, 'missing reader');
  assert.equal(missing.error.code, 'ENOENT');
  assert.equal((await a).stdout, 'hi\n');
  // The writer cannot start: the reader gets EOF at once.
  const noWriter = await watchdog(
    settled(spawn('no-such-program-xyz').pipe('cat')),
    60_000,
    'missing writer',
  );
  assert.equal(noWriter.error.code, 'ENOENT');
  // pipeline's first command reads nothing unless given input: cat ends.
  const r = await watchdog(pipeline([['cat'], ['wc', ['-c']]]), 60_000, 'cat | wc');
  assert.equal(r.stdout.trim(), '0');
  const fed = await pipeline([
    ['cat', [], { input: 'abc' }],
    ['wc', ['-c']],
  ]);
  assert.equal(fed.stdout.trim(), '3');
});

test('pipeline() resolves with every result; pipefail fails on any failure', async () => {
  const r = await watchdog(
    pipeline([['printf', ['b\\na\\nc\\n']], ['sort'], ['head', ['-n', '2']]]),
    60_000,
    'pipeline',
  );
  assert.equal(r.stdout, 'a\nb\n');
  assert.equal(r.results.length, 3);
  assert.deepEqual(
    r.results.map((x) => x.exitCode),
    [0, 0, 0],
  );
  const commands = [['sh', ['-c', 'exit 2']], ['cat']];
  const lenient = await pipeline(commands);
  assert.ok(lenient.results[0] instanceof SubprocessError);
  assert.equal(lenient.results[1].exitCode, 0);
  const strict = await settled(pipeline(commands, { pipefail: true }));
  assert.ok(strict.error instanceof SubprocessError);
  assert.equal(strict.error.exitCode, 2);
  assert.equal(strict.error.results.length, 2);
  const last = await settled(pipeline([['true'], ['false']]));
  assert.equal(last.error.exitCode, 1);
  assert.throws(() => pipeline([]), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => pipeline([['true']], { pipefail: 1 }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => pipeline('ls'), { code: 'ERR_INVALID_ARG_TYPE' });
});
