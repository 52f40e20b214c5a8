/**
 * Runs one measuring process (`node [flags] dist/bench/<script> <JSON>`, or
 * python3 with the Python script):
 * progress comes back as JSON lines on its stderr, the answer as the last
 * JSON line on its stdout. A process that dies, or outlives its watchdog,
 * gives an error string instead, which the caller reports in its rows.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export type Answer<T> = { value: T } | { error: string };

export async function runMeasuring<T>(
  script: string,
  execArgv: string[],
  input: unknown,
  onProgress: (progress: string) => void,
  timeoutMs: number,
  interpreter = process.execPath,
): Promise<Answer<T>> {
  const child = spawn(
    interpreter,
    [...execArgv, resolve(__dirname, script), JSON.stringify(input)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const watchdog = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      const { progress } = JSON.parse(line) as { progress?: string };
      if (progress) onProgress(progress);
    } catch {
      stderr += `${line}\n`;
    }
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  clearTimeout(watchdog);
  try {
    return { value: JSON.parse(stdout.trim().split('\n').pop() ?? '') as T };
  } catch {
    const how =
      signal === 'SIGKILL'
        ? `killed after ${String(timeoutMs)} ms`
        : (signal ?? `exit ${String(code)}`);
    return { error: `the measuring process ended (${how}): ${stderr.trim().slice(-300)}` };
  }
}
