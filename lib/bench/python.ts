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

def pid_after(seconds):
    time.sleep(seconds)
    return os.getpid()

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

# Two idle Pool workers, as the JavaScript rows read a Pool's workers.
def memory(pids):
    units = [rollup(pid) for pid in pids]
    return {k: round(sum(u[k] for u in units) / len(units)) for k in units[0]}

def median_of(repeats, once):
    return statistics.median([once() for _ in range(repeats)])

# As lib/bench/poolThroughput.ts measures a JavaScript pool.
def messaging(pool, cfg):
    trips, n = cfg['roundTrips'], cfg['tasks']
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
            'tasksQueued': n, 'poolSize': os.cpu_count() or 1}

def pooled(ctx, cfg):
    size = os.cpu_count() or 1
    with ctx.Pool(size) as pool:
        # Every worker started and busy once (each task outlasts a handover), then warm.
        pids = set(pool.map(pid_after, [0.05] * (size * 2), chunksize=1))
        pool.map(echo, range(size * 4), chunksize=1)
        return {'memory': guarded(memory, sorted(pids)), 'messaging': guarded(messaging, pool, cfg)}

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
        start = guarded(start_cost, ctx, cfg['starts'])
        pool = guarded(pooled, ctx, cfg['messaging'])
        pool = pool.get('value', {'memory': pool, 'messaging': pool})
        out['methods'][method] = {
            'startMs': start,
            'memory': pool['memory'],
            'messaging': pool['messaging'],
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
  const probe = spawnSync(python, ['-c', 'import multiprocessing, sys; print(sys.executable)'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (probe.error !== undefined || probe.status !== 0) {
    return { skip: `no usable ${python} on this machine: the Python rows are skipped` };
  }
  // The interpreter itself, not a launcher in front of it (pyenv's shims take seconds to start).
  return { python: probe.stdout.trim() || python };
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
