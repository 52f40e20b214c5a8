// exec from a running node: the new program (a C probe built here, or sh)
// reports the state it started in from /proc/self/status, fcntl and
// tcgetattr; stdio as pipes, as a file and as a terminal (script(1)). A
// failed exec must leave the process as it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as nodeSpawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exec, posix } from 'forkexec';
import { readAll, root, tempDir } from './helpers.mjs';

const work = tempDir('forkexec-exec-');
after(work.cleanup);

const ENTRY = pathToFileURL(join(root, 'esm', 'index.mjs')).href;
const PRISTINE_FD = 'open nonblock=0 cloexec=0';
const ZERO = '0000000000000000';

/** The probe, compiled once into the private temporary directory; undefined without cc. */
const probe = (() => {
  const path = join(work.dir, 'probe');
  const cc = spawnSync('cc', ['-o', path, join(root, 'test', 'fixtures', 'exec-probe.c')], {
    encoding: 'utf8',
  });
  return cc.status === 0 ? path : undefined;
})();

function needsProbe(t) {
  if (probe === undefined) t.skip('needs a C compiler (cc) to build the probe');
  return probe !== undefined;
}

/** "key=value" lines of the probe (after whatever node wrote first). */
function probeReport(text) {
  const report = {};
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) report[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return report;
}

function assertPristine(report, label) {
  for (const field of ['SigIgn', 'SigBlk', 'SigCgt']) assert.equal(report[field], ZERO, label);
  for (const fd of ['fd0', 'fd1', 'fd2']) assert.equal(report[fd], PRISTINE_FD, `${label}: ${fd}`);
}

let scripts = 0;
/** Writes an ES module that has `exec`, `posix` and `PROBE` in scope; returns its path. */
function script(body) {
  const path = join(work.dir, `script-${scripts++}.mjs`);
  writeFileSync(
    path,
    `import { exec, posix } from ${JSON.stringify(ENTRY)};\nconst PROBE = ${JSON.stringify(probe ?? '')};\n${body}`,
  );
  return path;
}

function runScript(path, options = {}) {
  return spawnSync(process.execPath, [path], { encoding: 'utf8', timeout: 60_000, ...options });
}

// The two ways in: the high-level exec() and the syscall.
const CALLS = {
  exec: 'await exec(PROBE, ["a1"]);',
  execve: 'posix.execve(PROBE, ["probe", "a1"]);',
};

// Before exec the script writes to stdout and stderr, and opens
// process.stdin, which makes the pipe non-blocking (libuv).
const PROLOGUE = `
process.stdout.write('node pid=' + process.pid + '\\n');
process.stderr.write('node stderr\\n');
process.stdin;
`;

test('exec() and posix.execve: same pid, stdio open and blocking, no signal ignored or blocked (pipes)', (t) => {
  if (!needsProbe(t)) return;
  for (const [name, call] of Object.entries(CALLS)) {
    const run = runScript(script(`${PROLOGUE}${call}`), { input: '' });
    assert.equal(run.status, 0, `${name}: ${run.stderr}`);
    assert.equal(run.stderr, 'node stderr\n', name);
    const [first, ...rest] = run.stdout.split('\n');
    assert.equal(first, `node pid=${run.pid}`, `${name}: node's line comes first`);
    const report = probeReport(rest.join('\n'));
    assert.equal(report.pid, String(run.pid), `${name}: same pid`);
    assert.equal(report.argc, '2', name);
    assertPristine(report, name);
  }
});

test('exec() and posix.execve with stdout as a file: written in order, the same state', (t) => {
  if (!needsProbe(t)) return;
  for (const [name, call] of Object.entries(CALLS)) {
    const file = join(work.dir, `out-${name}.txt`);
    const fd = openSync(file, 'w');
    let run;
    try {
      run = runScript(script(`${PROLOGUE}${call}`), { stdio: ['pipe', fd, 'pipe'], input: '' });
    } finally {
      closeSync(fd);
    }
    assert.equal(run.status, 0, `${name}: ${run.stderr}`);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith(`node pid=${run.pid}\npid=${run.pid}\n`), `${name}: ${text}`);
    assertPristine(probeReport(text), name);
  }
});

test('under a terminal in raw mode: a failed exec keeps raw mode, the program gets the mode from before', (t) => {
  if (!needsProbe(t)) return;
  if (spawnSync('script', ['--version']).status !== 0) {
    t.skip('needs script(1) from util-linux for a pseudo-terminal');
    return;
  }
  for (const [name, call] of Object.entries(CALLS)) {
    const path = script(`
      import { spawnSync } from 'node:child_process';
      const stty = () => spawnSync('stty', ['-a'], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' }).stdout;
      const cooked = /(^|\\s)icanon(\\s|$)/.test(stty());
      process.stdin.setRawMode(true);
      const raw = /-icanon/.test(stty());
      let failed;
      try { posix.execve('/nonexistent/forkexec-probe', ['x']); } catch (e) { failed = e.code; }
      const stillRaw = /-icanon/.test(stty()) && process.stdin.isRaw;
      process.stdout.write('terminal ' + JSON.stringify({ cooked, raw, failed, stillRaw }) + '\\n');
      ${call}
    `);
    const command = `'${process.execPath}' '${path}'`;
    const run = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    assert.equal(run.status, 0, `${name}: ${run.stdout}${run.stderr}`);
    const line = run.stdout.split(/\r?\n/).find((l) => l.startsWith('terminal '));
    assert.ok(line, run.stdout);
    assert.deepEqual(JSON.parse(line.slice(9)), {
      cooked: true,
      raw: true,
      failed: 'ENOENT',
      stillRaw: true,
    });
    const report = probeReport(run.stdout);
    assert.equal(report.tty, 'icanon:1 echo:1', `${name}: the terminal is back in its first mode`);
    assertPristine(report, `${name} under a terminal`);
  }
});

test('what node wrote to a full pipe comes first, in order; posix.execve refuses to lose it', async () => {
  for (const call of ['exec', 'execve']) {
    const [readEnd, writeEnd] = posix.pipe();
    const body = `
      const chunk = 'x'.repeat(1024);
      for (let i = 0; i < 256; i++) process.stdout.write(chunk);
      process.stdout.write('\\nEND\\n');
      process.stderr.write('queued=' + process.stdout.writableLength + '\\n');
      const after = ['-c', 'echo "after $$"'];
      if (${JSON.stringify(call)} === 'exec') {
        await exec('/bin/sh', after);
      } else {
        try { posix.execve('/bin/sh', ['sh', ...after]); } catch (e) { process.stderr.write('refused=' + e.code + '\\n'); }
        process.stdout.write('', () => posix.execve('/bin/sh', ['sh', ...after]));
      }
    `;
    const child = nodeSpawn(process.execPath, [script(body)], {
      stdio: ['ignore', writeEnd, 'pipe'],
    });
    posix.close(writeEnd);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    // Nobody reads the pipe until node says how much is still queued.
    await new Promise((resolve) => {
      child.stderr.on('data', (text) => {
        stderr += text;
        if (stderr.includes('\n')) resolve();
      });
    });
    const queued = Number(/queued=(\d+)/.exec(stderr)?.[1]);
    assert.ok(queued > 0, `${call}: the pipe was full, bytes were queued (${stderr})`);
    const output = readAll(readEnd);
    const [code] = await new Promise((resolve) => child.on('exit', (...r) => resolve(r)));
    assert.equal(code, 0, stderr);
    assert.equal(output, `${'x'.repeat(256 * 1024)}\nEND\nafter ${child.pid}\n`, call);
    if (call === 'execve') assert.match(stderr, /refused=ERR_EXEC_STDIO_PENDING/);
  }
});

test('a failed exec changes nothing: fds, flags, signals, cwd; the process reads stdin and writes stdout after', () => {
  const missing = join(work.dir, 'missing');
  const notExecutable = join(work.dir, 'not-executable');
  const garbage = join(work.dir, 'garbage');
  writeFileSync(notExecutable, '#!/bin/sh\n');
  chmodSync(notExecutable, 0o644);
  writeFileSync(garbage, Buffer.from([0, 1, 2, 3, 0x7f, 0x45]));
  chmodSync(garbage, 0o755);
  const body = `
    import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
    const paths = ${JSON.stringify({ missing, notExecutable, garbage })};
    const big = 'x'.repeat(200000);
    const fdTable = () => readdirSync('/proc/self/fd').map((fd) => {
      try {
        const flags = readFileSync('/proc/self/fdinfo/' + fd, 'utf8').match(/flags:\\s*(\\d+)/)[1];
        return fd + ' ' + readlinkSync('/proc/self/fd/' + fd) + ' ' + flags;
      } catch { return fd + ' (readdir)'; }
    }).sort().join('\\n');
    const signals = () => readFileSync('/proc/self/status', 'utf8').split('\\n').filter((l) => /^Sig(Ign|Blk|Cgt)/.test(l)).join(',');
    const snapshot = () => JSON.stringify({ fds: fdTable(), signals: signals(), cwd: process.cwd() });
    process.stdin.setEncoding('utf8');
    const before = snapshot();
    const attempts = [
      ['execve ENOENT', () => posix.execve(paths.missing, ['x'])],
      ['execve EACCES', () => posix.execve(paths.notExecutable, ['x'])],
      ['execve ENOEXEC', () => posix.execve(paths.garbage, ['x'])],
      ['execve E2BIG', () => posix.execve('/bin/true', ['true', big])],
      ['execvp ENOENT', () => posix.execvp('forkexec-no-such-program', ['x'])],
      ['exec ENOENT', () => exec(paths.missing)],
      ['exec EACCES', () => exec(paths.notExecutable)],
      ['exec ENOEXEC, fds moved', () => exec(paths.garbage, { stdio: ['ignore', 2, 1], fds: { 7: 0, 40: 1 }, cwd: '/' })],
      ['exec E2BIG', () => exec('/bin/true', [big])],
    ];
    const results = [];
    for (const [name, call] of attempts) {
      try {
        await call();
        results.push({ name, returned: true });
      } catch (e) {
        results.push({ name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, same: snapshot() === before });
      }
    }
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    console.log(JSON.stringify({ results, input }));
  `;
  const run = runScript(script(body), { input: 'still here\n' });
  assert.equal(run.status, 0, run.stderr);
  const { results, input } = JSON.parse(run.stdout);
  assert.equal(input, 'still here\n', 'stdin still reads after the failures');
  const expected = {
    'execve ENOENT': ['ENOENT', -2, 'execve', missing],
    'execve EACCES': ['EACCES', -13, 'execve', notExecutable],
    'execve ENOEXEC': ['ENOEXEC', -8, 'execve', garbage],
    'execve E2BIG': ['E2BIG', -7, 'execve', '/bin/true'],
    'execvp ENOENT': ['ENOENT', -2, 'execvp', 'forkexec-no-such-program'],
    'exec ENOENT': ['ENOENT', -2, 'execve', missing],
    'exec EACCES': ['EACCES', -13, 'execve', notExecutable],
    'exec ENOEXEC, fds moved': ['ENOEXEC', -8, 'execve', garbage],
    'exec E2BIG': ['E2BIG', -7, 'execve', '/bin/true'],
  };
  assert.equal(results.length, Object.keys(expected).length);
  for (const r of results) {
    const [code, errno, syscall, path] = expected[r.name];
    assert.deepEqual(r, { name: r.name, code, errno, syscall, path, same: true }, r.name);
  }
});

test('exec() refuses wrong arguments before anything changes', async () => {
  const cases = [
    [() => exec(42), 'ERR_INVALID_ARG_TYPE'],
    [() => exec('true', { stdio: 'pipe' }), 'ERR_INVALID_ARG_VALUE'],
    [() => exec('true', { stdio: ['inherit', 'pipe'] }), 'ERR_INVALID_ARG_VALUE'],
    [() => exec('true', { uid: 0 }), 'ERR_INVALID_ARG_VALUE'],
    [() => exec('true', { fds: { 3: 999999 } }), 'EBADF'],
    [() => exec('true', { cwd: '/nonexistent-forkexec' }), 'ENOENT'],
    [
      () => posix.execve('/bin/true', ['true'], undefined, { keepNodeState: 1 }),
      'ERR_INVALID_ARG_TYPE',
    ],
    [() => posix.execve('/bin/true', ['true'], undefined, { bare: true }), 'ERR_INVALID_ARG_VALUE'],
  ];
  for (const [call, code] of cases) {
    await assert.rejects(async () => call(), { code });
  }
});

test('exec() searches PATH of options.env, and passes argv0, env, cwd and fds', (t) => {
  if (!needsProbe(t)) return;
  const body = `
    import { openSync } from 'node:fs';
    const out = openSync(${JSON.stringify(join(work.dir, 'fd5.txt'))}, 'w');
    await exec('probe', ['x', 'y'], {
      env: { PATH: ${JSON.stringify(work.dir)}, PROBE_FD: '5' },
      argv0: 'renamed',
      cwd: '/',
      fds: { 5: out },
    });
  `;
  const run = runScript(script(body), { input: '' });
  assert.equal(run.status, 0, run.stderr);
  const report = probeReport(readFileSync(join(work.dir, 'fd5.txt'), 'utf8'));
  assert.equal(report.argv0, 'renamed');
  assert.equal(report.argc, '3');
  assert.equal(report.cwd, '/');
  assert.equal(report.pid, String(run.pid));
});

test('closeFds: an inheritable fd goes unless named; closeFds: false keeps it', () => {
  const body = `
    const [, w] = posix.pipe({ cloexec: false });
    await exec('/bin/sh', ['-c', 'ls /proc/self/fd; echo "w=$W"'], {
      env: { ...process.env, W: String(w) },
      closeFds: process.argv[2] === 'close',
    });
  `;
  const path = script(body);
  for (const mode of ['close', 'keep']) {
    const run = spawnSync(process.execPath, [path, mode], { encoding: 'utf8', input: '' });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    const w = lines.pop().slice(2);
    assert.equal(lines.includes(w), mode === 'keep', `${mode}: ${run.stdout}`);
    for (const fd of ['0', '1', '2']) assert.ok(lines.includes(fd), `${mode}: fd ${fd}`);
  }
});

test('Worker threads: exec() and posix.execve refuse; keepNodeState replaces the whole process', () => {
  const codes = join(work.dir, 'worker-codes.json');
  const pidFile = join(work.dir, 'worker-pid.txt');
  const body = `
    import { Worker } from 'node:worker_threads';
    new Worker(\`
      const { writeFileSync } = require('node:fs');
      const { exec, posix } = require(${JSON.stringify(root)});
      (async () => {
        const out = {};
        try { await exec('/bin/true'); } catch (e) { out.exec = e.code; }
        try { posix.execve('/bin/true', ['true']); } catch (e) { out.execve = e.code; }
        writeFileSync(${JSON.stringify(codes)}, JSON.stringify(out));
        posix.execve('/bin/sh', ['sh', '-c', 'echo $$ > ${pidFile}; exit 7'], undefined, { keepNodeState: true });
      })();
    \`, { eval: true });
    setInterval(() => {}, 1000);
  `;
  const run = runScript(script(body), { input: '' });
  assert.equal(run.status, 7, run.stderr);
  assert.deepEqual(JSON.parse(readFileSync(codes, 'utf8')), {
    exec: 'ERR_WORKER_UNSUPPORTED_OPERATION',
    execve: 'ERR_WORKER_UNSUPPORTED_OPERATION',
  });
  assert.equal(
    readFileSync(pidFile, 'utf8').trim(),
    String(run.pid),
    'the whole process, same pid',
  );
});

test('keepNodeState: the bare syscall hands over Node state as it is (fds 0-2 close-on-exec)', (t) => {
  if (!needsProbe(t)) return;
  const report = join(work.dir, 'bare.txt');
  const body = `
    import { openSync } from 'node:fs';
    const fd = openSync(${JSON.stringify(report)}, 'w');
    posix.setCloexec(fd, false);
    posix.execve(PROBE, ['probe'], { PROBE_FD: String(fd) }, { keepNodeState: true });
  `;
  const run = runScript(script(body), { input: '' });
  assert.equal(run.status, 0, run.stderr);
  const state = probeReport(readFileSync(report, 'utf8'));
  assert.equal(state.fd1, 'closed');
  assert.equal(state.SigIgn, '0000000001001000', "Node's SIGPIPE and SIGXFSZ");
});

test('the forkexec-node launcher goes through the same exec: same pid, stdio open', () => {
  const run = spawnSync(
    process.execPath,
    [
      join(root, 'bin', 'forkexec-node.js'),
      '-e',
      `const fs = require('node:fs');
       process.stdout.write(JSON.stringify({ pid: process.pid, argv: process.execArgv,
         stdin: fs.readFileSync(0, 'utf8') }));`,
    ],
    { encoding: 'utf8', input: 'piped in', timeout: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.equal(out.pid, run.pid);
  assert.ok(out.argv.includes('--single-threaded'));
  assert.equal(out.stdin, 'piped in');
});
