// The same types from a CommonJS consumer.
import forkexec = require('forkexec');

async function main(): Promise<void> {
  const r = await forkexec.spawn('ls', [], {
    encoding: 'buffer',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const out: Buffer = r.stdout;
  // @ts-expect-error: stderr is ignored, so undefined
  const err: Buffer = r.stderr;
  void [out, err];
}
void main;
