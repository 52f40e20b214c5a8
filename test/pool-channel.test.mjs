// The Pool's channel and its bad inputs: large values move with one copy,
// a frame the parent cannot parse or a worker without its channel is a dead
// worker (killed, its task rejected), and every misuse ends with a clear
// Error, no worker, fd or zombie left and no promise waiting forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Pool, Process } from 'forkexec';
import {
  FrameDecoder,
  encodeCompactResultFrame,
  encodeCompactTaskFrame,
  encodeFrame,
} from '../dist/channel/framedChannel.js';
import { children, openFds, root, runNode } from './helpers.mjs';

const MODULE = join(root, 'test', 'fixtures', 'targets.mjs');
const target = (name) => ({ module: MODULE, export: name });
const frameHex = (length, payload = '') =>
  Buffer.concat([
    Buffer.from('FXC1'),
    Buffer.from(new Uint32Array([length]).buffer),
    Buffer.from(payload),
  ]).toString('hex');

/** Rejects if `promise` has not settled within `ms` (a hang is a failure, not a stuck suite). */
function bounded(promise, what, ms = 60_000) {
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung`)), ms);
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

/** Runs `body(pool)` and checks the pool left no child and no fd behind. */
async function leavesNothing(options, body) {
  const fdsBefore = openFds();
  const pool = new Pool({ size: 2, startMethod: 'spawn', ...options });
  try {
    await body(pool);
  } finally {
    await bounded(pool.close(), 'close()');
  }
  assert.deepEqual(children(), []);
  assert.deepEqual(openFds(), fdsBefore);
}

test('a 100 MB frame read in 64 KiB pieces is joined once, not once per piece', () => {
  const frame = encodeFrame(Buffer.alloc(100 * 1024 * 1024, 3));
  const decoder = new FrameDecoder();
  const concat = Buffer.concat;
  let joins = 0;
  Buffer.concat = (...args) => {
    joins++;
    return concat.apply(Buffer, args);
  };
  let messages = [];
  try {
    for (let at = 0; at < frame.length; at += 65536) {
      messages = messages.concat(decoder.push(frame.subarray(at, at + 65536)));
    }
  } finally {
    Buffer.concat = concat;
  }
  assert.equal(messages.length, 1);
  assert.equal(messages[0].length, 100 * 1024 * 1024);
  assert.ok(joins <= 2, `${joins} joins`);
});

test('primitive answers take the compact encoding and come back exactly; a malformed one is garbage', async () => {
  const values = [0, -0, NaN, Infinity, -1.5, 2 ** 53, '', 'héllo ☃', true, false, null, undefined];
  for (const value of values) {
    const frame = encodeCompactResultFrame(7, value);
    assert.ok(frame, `compact for ${String(value)}`);
    assert.deepEqual(new FrameDecoder().push(frame), [{ type: 'result', id: 7, ok: true, value }]);
  }
  for (const value of ['x'.repeat(5000), 1n, { a: 1 }, [1], new Date(0)]) {
    assert.equal(encodeCompactResultFrame(7, value), undefined);
  }
  const malformed = Buffer.from(frameHex(3, '\x00\x09\x00'), 'hex');
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(malformed), []);
  assert.equal(decoder.failure?.code, 'ERR_FORKEXEC_CHANNEL_GARBAGE');
  await leavesNothing({ size: 1 }, async (pool) => {
    const back = await Promise.all(
      [...values, 'x'.repeat(5000), 1n].map((v) => pool.run(target('roundTrip'), [v])),
    );
    assert.deepEqual(back, [...values, 'x'.repeat(5000), 1n]);
  });
});

test('tasks with primitive arguments take the compact encoding and come back exactly; a malformed one is garbage', async () => {
  const args = [
    0,
    -0,
    NaN,
    -1.5,
    2 ** 53,
    '',
    'héllo ☃',
    'x'.repeat(1365),
    true,
    false,
    null,
    undefined,
  ];
  const frame = encodeCompactTaskFrame(9, 3, args, true);
  assert.deepEqual(new FrameDecoder().push(frame), [
    { type: 'task', id: 9, slot: 3, args, each: true },
  ]);
  for (const value of ['x'.repeat(1366), 1n, { a: 1 }, [1], new Date(0), Symbol('s')]) {
    assert.equal(encodeCompactTaskFrame(9, 3, [1, value], false), undefined);
  }
  // A string whose length runs past the frame.
  const truncated = Buffer.from(frame.subarray(0, 8 + 18 + 5 + 2));
  truncated.writeUInt32LE(18 + 5 + 2, 4);
  truncated.writeUInt32LE(1, 8 + 14);
  truncated[8 + 18] = 5;
  truncated.writeUInt32LE(100, 8 + 19);
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(truncated), []);
  assert.equal(decoder.failure?.code, 'ERR_FORKEXEC_CHANNEL_GARBAGE');
  await leavesNothing({ size: 1 }, async (pool) => {
    // The first task teaches the worker its target's slot; the others name it; non-primitive ones go whole.
    const sent = [...args, 1n, { a: [1] }, 'x'.repeat(5000)];
    const back = await Promise.all(sent.map((v) => pool.run(target('roundTrip'), [v])));
    assert.deepEqual(back, sent);
    assert.deepEqual(await pool.map(target('roundTrip'), sent, { chunksize: 4 }), sent);
  });
});

test('a module target object changed in place runs what it names now', async () => {
  await leavesNothing({ size: 1 }, async (pool) => {
    const moving = target('add');
    assert.equal(await pool.run(moving, [2, 3]), 5);
    moving.export = 'roundTrip';
    assert.equal(await pool.run(moving, ['same']), 'same');
  });
});

test('1, 10 and 100 MB cross whole each way', async () => {
  await leavesNothing({ size: 1 }, async (pool) => {
    for (const mb of [1, 10, 100]) {
      const bytes = mb * 1024 * 1024;
      const back = await bounded(pool.run(target('bytes'), [bytes]), `${mb} MB back`);
      assert.equal(back.length, bytes);
      assert.ok(back.every((b) => b === 7));
      const sent = await bounded(
        pool.run(target('byteLength'), [Buffer.alloc(bytes, 1)]),
        `${mb} MB out`,
      );
      assert.equal(sent, bytes);
    }
  });
});

test('an undeserialisable frame or a 2 GB length header: the worker is killed, its task rejects, the pool goes on', async () => {
  await leavesNothing({ size: 1 }, async (pool) => {
    const first = await pool.run(target('getPid'));
    for (const hex of [frameHex(4, '\xff\xff\xff\xff'), frameHex(0x8000_0000, 'abc')]) {
      await assert.rejects(bounded(pool.run(target('writeOnChannel'), [hex]), 'garbage task'), {
        code: 'ERR_FORKEXEC_CHANNEL_GARBAGE',
      });
      assert.equal(await bounded(pool.run(target('add'), [2, 3]), 'the next task'), 5);
    }
    assert.notEqual(await pool.run(target('getPid')), first);
  });
});

test('a worker that closes its channel but stays alive is killed and its task rejects', async () => {
  await leavesNothing({ size: 1 }, async (pool) => {
    await assert.rejects(
      bounded(pool.run(target('closeChannelAndStay')), 'task of a mute worker'),
      {
        code: 'ERR_FORKEXEC_CHILD_DIED',
        signal: 'SIGKILL',
      },
    );
    assert.equal(await pool.run(target('add'), [1, 1]), 2);
  });
});

test('a Process child that closes its channel but stays alive is killed; run() rejects', async () => {
  const child = new Process({ target: target('closeChannelAndStay'), startMethod: 'spawn' });
  await assert.rejects(bounded(child.run(), 'Process.run() of a mute child'), {
    code: 'ERR_FORKEXEC_CHILD_DIED',
    signal: 'SIGKILL',
  });
  assert.deepEqual(children(), []);
});

test('a spawn worker without its channel does not outlive a parent that exits', () => {
  const run = runNode(`
    import { Pool, Process } from 'forkexec';
    const pool = new Pool({ size: 1, startMethod: 'spawn' });
    const pid = await pool.run({ module: ${JSON.stringify(MODULE)}, export: 'getPid' });
    await pool.run({ module: ${JSON.stringify(MODULE)}, export: 'closeChannelAndStay' }).catch(() => {});
    console.log(pid);
  `);
  assert.equal(run.status, 0, run.stderr);
  const pid = Number(run.stdout.trim());
  assert.ok(pid > 0);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
});

test('a task that throws rejects and the pool goes on', async () => {
  await leavesNothing({}, async (pool) => {
    await assert.rejects(pool.run(target('fail'), ['boom']), {
      name: 'RangeError',
      code: 'E_TARGET',
    });
    await assert.rejects(pool.map(target('fail'), ['a', 'b']), { message: 'a' });
    assert.deepEqual(await pool.map({ module: MODULE }, [1, 2]), [2, 4]);
  });
});

test('a worker that crashes mid-chunk: that chunk rejects, the other work goes on', async () => {
  await leavesNothing({}, async (pool) => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    const other = pool.map({ module: MODULE }, items, { chunksize: 4 });
    await assert.rejects(bounded(pool.map(target('crashOn13'), items, { chunksize: 5 }), 'map'), {
      code: 'ERR_FORKEXEC_CHILD_DIED',
      signal: 'SIGKILL',
    });
    assert.deepEqual(
      await other,
      items.map((x) => x * 2),
    );
    const seen = [];
    await assert.rejects(
      (async () => {
        for await (const x of pool.imap(target('crashOn13'), items, { chunksize: 5 })) seen.push(x);
      })(),
      { code: 'ERR_FORKEXEC_CHILD_DIED' },
    );
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'the chunks before it were delivered');
    assert.deepEqual(pool.stats.inFlight + pool.stats.queued, 0);
  });
});

test('a result that cannot be serialized rejects clearly, alone or in a chunk', async () => {
  await leavesNothing({}, async (pool) => {
    await assert.rejects(pool.run(target('unserializable')), {
      code: 'ERR_FORKEXEC_UNSERIALIZABLE',
    });
    await assert.rejects(
      pool.map(
        target('unserializableOn13'),
        Array.from({ length: 20 }, (_, i) => i),
        { chunksize: 20 },
      ),
      {
        code: 'ERR_FORKEXEC_UNSERIALIZABLE',
      },
    );
    // Burst of single tasks answered together: only the bad one fails.
    const burst = Array.from({ length: 20 }, (_, i) =>
      pool.run(target('unserializableOn13'), [i]).catch((e) => e.code),
    );
    const outcomes = await Promise.all(burst);
    assert.equal(outcomes[13], 'ERR_FORKEXEC_UNSERIALIZABLE');
    assert.deepEqual(
      outcomes.filter((_, i) => i !== 13),
      Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 13),
    );
  });
});

test('an iterable that throws halfway: map rejects with its error and nothing is left running', async () => {
  await leavesNothing({}, async (pool) => {
    function* breaks() {
      for (let i = 0; i < 50; i++) yield i;
      throw new Error('input broke');
    }
    await assert.rejects(pool.map(target('sleepFor'), breaks(), { chunksize: 3 }), {
      message: 'input broke',
    });
    assert.deepEqual(
      { queued: pool.stats.queued, inFlight: pool.stats.inFlight },
      { queued: 0, inFlight: 0 },
    );
  });
});

test('close() while imap is consumed: the iterator ends with ERR_FORKEXEC_POOL_CLOSED, close resolves', async () => {
  await leavesNothing({}, async (pool) => {
    function* endless() {
      for (let i = 0; ; i++) yield i;
    }
    const seen = [];
    let closing;
    await assert.rejects(
      (async () => {
        for await (const x of pool.imap({ module: MODULE }, endless())) {
          seen.push(x);
          if (seen.length === 10) closing = pool.close();
        }
      })(),
      { code: 'ERR_FORKEXEC_POOL_CLOSED' },
    );
    await bounded(closing, 'close() during imap');
    assert.deepEqual(seen.slice(0, 10), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  });
});

test('terminate() during map: map rejects, the workers are gone', async () => {
  const fdsBefore = openFds();
  const pool = new Pool({ size: 2, startMethod: 'spawn' });
  const mapping = pool
    .map(
      target('sleepFor'),
      Array.from({ length: 100 }, () => 50),
      { chunksize: 2 },
    )
    .then(
      () => null,
      (error) => error,
    );
  await new Promise((resolve) => setTimeout(resolve, 300));
  await bounded(pool.terminate(), 'terminate()');
  const error = await bounded(mapping, 'map after terminate');
  assert.ok(
    ['ERR_FORKEXEC_CHILD_DIED', 'ERR_FORKEXEC_POOL_TERMINATED'].includes(error?.code),
    String(error),
  );
  assert.deepEqual(children(), []);
  assert.deepEqual(openFds(), fdsBefore);
});
