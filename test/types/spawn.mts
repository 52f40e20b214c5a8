// spawn() and spawnSync(): result.stdout / stderr narrowed from stdio and encoding.
import { spawn, spawnSync, pipeline, SubprocessError, type SubprocessResult } from 'forkexec';

/** Compiles only when A and B are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

const text = await spawn('ls', ['-l']);
expectType<Equal<typeof text.stdout, string>>();
expectType<Equal<typeof text.stderr, string>>();
const upper: string = text.stdout.toUpperCase();

const noArgs = await spawn('ls', { cwd: '/' });
expectType<Equal<typeof noArgs.stdout, string>>();

const bytes = await spawn('cat', ['/bin/true'], { encoding: 'buffer' });
expectType<Equal<typeof bytes.stdout, Buffer>>();

const latin = await spawn('ls', [], { encoding: 'latin1' });
expectType<Equal<typeof latin.stdout, string>>();

const mixed = await spawn('ls', [], { stdio: ['ignore', 'pipe', 'inherit'] });
expectType<Equal<typeof mixed.stdout, string>>();
expectType<Equal<typeof mixed.stderr, undefined>>();

const short = await spawn('ls', [], { stdio: ['ignore'] });
expectType<Equal<typeof short.stdout, string>>();

const inherited = await spawn('ls', [], { stdio: 'inherit' });
expectType<Equal<typeof inherited.stdout, undefined>>();

const toFd = await spawn('ls', [], { stdio: ['ignore', 1, 'pipe'], encoding: 'buffer' });
expectType<Equal<typeof toFd.stdout, undefined>>();
expectType<Equal<typeof toFd.stderr, Buffer>>();

// Options not known literally give the union.
const stdio: ('pipe' | 'ignore')[] = ['pipe', 'ignore'];
const wide = await spawn('ls', [], { stdio });
expectType<Equal<typeof wide.stdout, string | undefined>>();
const encoding = 'buffer' as BufferEncoding | 'buffer';
const either = await spawn('ls', [], { encoding });
expectType<Equal<typeof either.stdout, string | Buffer>>();

const sync = spawnSync('ls', [], { encoding: 'buffer', stdio: ['ignore', 'pipe', 'ignore'] });
expectType<Equal<typeof sync.stdout, Buffer>>();
expectType<Equal<typeof sync.stderr, undefined>>();
const plainSync = spawnSync('ls');
expectType<Equal<typeof plainSync.stdout, string>>();

const piped = await spawn('ls').pipe('wc', ['-l']);
expectType<Equal<typeof piped.stdout, string>>();
const counted = await pipeline([['ls'], ['wc', ['-l']]], { pipefail: true });
void counted.results;

// A general result still takes any of them.
const general: SubprocessResult = bytes;
try {
  await spawn('false');
} catch (e) {
  if (e instanceof SubprocessError) {
    const code: string | undefined = e.code;
    const errno: number | undefined = e.errno;
    void [code, errno];
  }
}
void [upper, general];

await spawn('ls', [], { env: { PORT: 3000, DEBUG: true } });
await spawn('sleep', ['1'], { forceKillAfterDelay: false, cleanup: false, detached: true });

// @ts-expect-error: a string is not a Buffer
const wrong: Buffer = text.stdout;
// @ts-expect-error: stderr is not collected with 'inherit'
void mixed.stderr.length;
// @ts-expect-error: an unknown option
await spawn('ls', [], { cwdd: '/' });
// @ts-expect-error: an object is no env value
await spawn('ls', [], { env: { A: { b: 1 } } });
// @ts-expect-error: forceKillAfterDelay is a number or a boolean
await spawn('ls', [], { forceKillAfterDelay: '5s' });
void wrong;
export {};
