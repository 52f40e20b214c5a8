/**
 * The Python rows: the same work through multiprocessing (fork, forkserver
 * and spawn Process; Pool.apply and Pool.map, measured as ./poolThroughput
 * measures a JavaScript pool), run by python3 in the same
 * bench run. The script is written into a fresh private directory (mkdtemp)
 * and removed afterwards; nothing is taken from a previous run. Without
 * python3 the rows are skipped with a note that says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMeasuring } from './measuringProcess';
import type { MessagingConfig, MessagingFigures } from './messaging';
import type { ScalingPoint } from './scaling';
import type { UnitMemory } from './unitMemory';

const SCRIPT = String.raw`# forkexec bench: the same work through Python's multiprocessing.
import json, multiprocessing as mp, os, statistics, sys, time

def trivial():
    return 1

def echo(x):
    return x

def spin(n):
    x = 0.0
    for i in range(n):
        x = (x + i ** 0.5) % 1e9
    return x

def start_target(conn):
    conn.send(trivial())
    conn.close()

def hold_target(conn, ev):
    conn.send(os.getpid())
    ev.wait(10)

def spin_target(n):
    spin(n)

def rollup(pid):
    f = {}
    with open('/proc/%d/smaps_rollup' % pid) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == 'kB':
                f[parts[0].rstrip(':')] = int(parts[1])
    return {'rssKiB': f.get('Rss', 0), 'pssKiB': f.get('Pss', 0),
            'ussKiB': f.get('Private_Clean', 0) + f.get('Private_Dirty', 0)}

def start_cost(ctx, n):
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        a, b = ctx.Pipe(duplex=False)
        p = ctx.Process(target=start_target, args=(b,))
        p.start()
        a.recv()
        samples.append((time.perf_counter() - t) * 1e3)
        p.join()
    return statistics.median(samples)

def memory(ctx):
    ev = ctx.Event()
    procs, pids = [], []
    for _ in range(2):
        a, b = ctx.Pipe(duplex=False)
        p = ctx.Process(target=hold_target, args=(b, ev))
        p.start()
        pids.append(a.recv())
        procs.append(p)
    time.sleep(0.1)
    units = [rollup(pid) for pid in pids]
    ev.set()
    for p in procs:
        p.join()
    return {k: round(sum(u[k] for u in units) / len(units)) for k in units[0]}

def median_of(repeats, once):
    return statistics.median([once() for _ in range(repeats)])

# As lib/bench/poolThroughput.ts measures a JavaScript pool.
def messaging(ctx, cfg):
    size = os.cpu_count() or 1
    trips, n = cfg['roundTrips'], cfg['tasks']
    with ctx.Pool(size) as pool:
        pool.map(echo, range(size * 4), chunksize=1)
        def round_trip():
            t = time.perf_counter()
            for i in range(trips):
                pool.apply(echo, (i,))
            return (time.perf_counter() - t) * 1e6 / trips
        def per_second(chunksize):
            t = time.perf_counter()
            pool.map(echo, range(n), chunksize)
            return n / (time.perf_counter() - t)
        return {'roundTripUs': median_of(cfg['repeats'], round_trip),
                'tasksPerSecond': median_of(cfg['repeats'], lambda: per_second(1)),
                'mapItemsPerSecond': median_of(cfg['repeats'], lambda: per_second(None)),
                'tasksQueued': n, 'poolSize': size}

def scaling(ctx, counts, iterations):
    p = ctx.Process(target=spin_target, args=(1,)); p.start(); p.join()
    points = []
    for n in counts:
        t = time.perf_counter()
        procs = [ctx.Process(target=spin_target, args=(iterations,)) for _ in range(n)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        points.append({'n': n, 'wallMs': (time.perf_counter() - t) * 1e3})
    return points

def calibrate(ms):
    probe = 200000
    t = time.process_time()
    spin(probe)
    used = (time.process_time() - t) * 1e3
    return max(10000, round(probe * ms / max(used, 0.1)))

def guarded(fn, *args):
    try:
        return {'value': fn(*args)}
    except Exception as e:
        return {'error': '%s: %s' % (type(e).__name__, e)}

def main():
    cfg = json.loads(sys.argv[1])
    iterations = calibrate(cfg['spinMs'])
    out = {'version': sys.version.split()[0], 'methods': {}}
    for method in mp.get_all_start_methods():
        if method not in ('fork', 'forkserver', 'spawn'):
            continue
        sys.stderr.write(json.dumps({'progress': 'python ' + method}) + '\n')
        ctx = mp.get_context(method)
        out['methods'][method] = {
            'startMs': guarded(start_cost, ctx, cfg['starts']),
            'memory': guarded(memory, ctx),
            'messaging': guarded(messaging, ctx, cfg['messaging']),
            'scaling': guarded(scaling, ctx, cfg['counts'], iterations),
        }
    print(json.dumps(out))

if __name__ == '__main__':
    main()
`;

type Guarded<T> = { value: T } | { error: string };

/** What python3 measured for one start method. */
export interface PythonMethod {
  startMs: Guarded<number>;
  memory: Guarded<UnitMemory>;
  messaging: Guarded<MessagingFigures>;
  scaling: Guarded<ScalingPoint[]>;
}

export interface PythonResults {
  version: string;
  methods: Partial<Record<'fork' | 'forkserver' | 'spawn', PythonMethod>>;
}

export interface PythonConfig {
  spinMs: number;
  starts: number;
  messaging: MessagingConfig;
  counts: number[];
}

/** The interpreter to run (`--python`, default python3), or the reason there is none. */
export function findPython(python = 'python3'): { python: string } | { skip: string } {
  const probe = spawnSync(python, ['-c', 'import multiprocessing'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    return { skip: `no usable ${python} on this machine: the Python rows are skipped` };
  }
  return { python };
}

export async function runPython(
  python: string,
  config: PythonConfig,
  onProgress: (line: string) => void,
): Promise<Guarded<PythonResults>> {
  const dir = mkdtempSync(join(tmpdir(), 'forkexec-bench-py-'));
  try {
    const script = join(dir, 'bench.py');
    writeFileSync(script, SCRIPT, { flag: 'wx', mode: 0o600 });
    return await runMeasuring<PythonResults>(script, [], config, onProgress, 10 * 60_000, python);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
