// Arguments and environment values reach the child byte for byte, with no
// shell in between: spaces, quotes, newlines, globs, emoji, and bytes that
// are not UTF-8 (given as Buffers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { posix } from 'forkexec';

const TRICKY = [
  'two words',
  `it's "quoted"`,
  'line one\nline two',
  '*.js $HOME `id` $(id) ; | & > <',
  '',
  ' leading and trailing ',
  '\t\r\x1b[31m',
  'emoji 🦀 ünïcödé',
  Buffer.from([0xff, 0xfe, 0x80, 0x41, 0xc3]),
  Buffer.from('plain buffer'),
];

/** Runs /bin/sh printing each argument followed by a NUL byte; returns the raw bytes. */
function echoArgs(args, env) {
  const [r, w] = posix.pipe();
  const pid = posix.posixSpawn(
    '/bin/sh',
    [
      'sh',
      '-c',
      'for a; do printf "%s\\0" "$a"; done; printf "%s\\0" "$TRICKY_ENV"',
      'sh',
      ...args,
    ],
    { fileActions: [{ action: 'dup2', fd: w, newFd: 1 }], env },
  );
  posix.close(w);
  const chunks = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    const n = fs.readSync(r, buffer, 0, buffer.length, null);
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  fs.closeSync(r);
  assert.equal(posix.waitpid(pid).exitCode, 0);
  return Buffer.concat(chunks);
}

test('argv reaches the child byte for byte, without a shell interpreting it', () => {
  const out = echoArgs(TRICKY, { TRICKY_ENV: 'env "value" with $x and 🦀' });
  const expected = Buffer.concat([
    ...TRICKY.map((a) =>
      Buffer.concat([Buffer.isBuffer(a) ? a : Buffer.from(a), Buffer.from([0])]),
    ),
    Buffer.from('env "value" with $x and 🦀\0'),
  ]);
  assert.deepEqual(out, expected);
});

test('environment values given as Buffers pass non-UTF-8 bytes through', () => {
  const raw = Buffer.from([0x61, 0xff, 0x62]);
  const out = echoArgs([], { TRICKY_ENV: raw });
  assert.deepEqual(out, Buffer.concat([raw, Buffer.from([0])]));
});
