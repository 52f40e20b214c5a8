// Module targets named by URL (#17), as piscina accepts them:
// `new URL('./work.mjs', import.meta.url)` and `file:` URL strings, with
// every start method; other URL schemes refused with a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, Process, getStartMethods } from 'forkexec';
import { runNode, safeFlags } from './helpers.mjs';

const url = new URL('./fixtures/targets.mjs', import.meta.url);

test('a URL object and a file: URL string work as the module, with every start method', async () => {
  // fork needs node --single-threaded: that case runs in a child node below.
  for (const startMethod of getStartMethods().filter((m) => m !== 'fork')) {
    for (const module of [url, url.href]) {
      const sum = await new Process({
        target: { module, export: 'add' },
        args: [2, 3],
        startMethod,
      }).run();
      assert.equal(sum, 5, `${startMethod} ${typeof module}`);
    }
  }
  if (getStartMethods().includes('fork')) {
    const r = runNode(
      `import { Process } from 'forkexec';
       const url = new URL(${JSON.stringify(url.href)});
       for (const module of [url, url.href]) {
         console.log(await new Process({ target: { module, export: 'add' }, args: [2, 3], startMethod: 'fork' }).run());
       }`,
      { execArgv: safeFlags },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '5\n5\n');
  }
  const pool = new Pool({ size: 1, startMethod: 'spawn' });
  try {
    assert.equal(await pool.run({ module: url, export: 'add' }, [1, 1]), 2);
  } finally {
    await pool.close();
  }
});

test('other URL schemes and bad file: URLs are refused before anything starts', () => {
  for (const module of [
    'https://example.com/work.mjs',
    new URL('https://example.com/work.mjs'),
    'data:text/javascript,export default 1',
  ]) {
    assert.throws(() => new Process({ target: { module } }), {
      code: 'ERR_INVALID_ARG_VALUE',
      message: /URL scheme '(https|data):'.*file: URL/,
    });
  }
  assert.throws(() => new Process({ target: { module: 'file://remote-host/x.mjs' } }), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: /not a usable file: URL/,
  });
  assert.throws(
    () => new Process({ target: { module: './work.mjs' }, startMethod: 'spawn' }).start(),
    { code: 'ERR_INVALID_ARG_VALUE', message: /import\.meta\.url/ },
  );
  assert.throws(() => new Process({ target: { module: 42 } }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new Process({ target: { module: new URL('file:///no/such.mjs') } }).start(), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
});
