/**
 * The sections after the start costs: messaging once units run, CPU-bound
 * scaling, and the same work in Python. Each JavaScript section runs in
 * measuring processes of its own (the fork start method in one started with
 * `--single-threaded`, the rest without); a subject that fails keeps its row
 * with the error, and the run goes on.
 */
import { safeModeFlags } from '../fork';
import { runMeasuring } from './measuringProcess';
import {
  MESSAGING_LABELS,
  MESSAGING_SUBJECTS,
  type MessagingConfig,
  type MessagingFigures,
} from './messaging';
import { findPython, runPython, type PythonResults } from './python';
import {
  SCALING_LABELS,
  SCALING_SUBJECTS,
  calibrateSpin,
  type ScalingConfig,
  type ScalingPoint,
} from './scaling';
import type { SectionJob, SubjectResult } from './sectionRunner';

export type Language = 'JavaScript' | 'Python';

interface SectionRow {
  subject: string;
  label: string;
  language: Language;
  /** The measuring process ran `node --single-threaded` (what fork() needs). */
  singleThreaded: boolean;
  error?: string;
}

export interface MessagingRow extends SectionRow {
  figures?: MessagingFigures;
}

export interface ScalingRow extends SectionRow {
  /** Wall time and speed-up (N x wall(1) / wall(N)) per unit count. */
  points: (ScalingPoint & { speedup: number })[];
}

/** The parts of a run `--sections` chooses from. */
export const SECTIONS = ['starts', 'messaging', 'scaling', 'python'] as const;
export type Section = (typeof SECTIONS)[number];

export interface SectionOptions {
  /** Which of messaging, scaling and python to run. */
  include: readonly Section[];
  messaging: MessagingConfig;
  /** Unit counts for the scaling section. */
  counts: number[];
  /** CPU per unit in the scaling section, ms. */
  spinMs: number;
  /** Python's starts per method. */
  pythonStarts: number;
  /** The Python interpreter for the Python rows (default: python3 on the PATH). */
  python?: string;
  onProgress: (line: string) => void;
}

export interface SectionResults {
  messaging: MessagingRow[];
  scaling: ScalingRow[];
  /** Python's own figures (start, memory) by start method, when python3 ran. */
  python?: PythonResults;
  /** Why there are no Python rows, or what failed in them. */
  pythonNote?: string;
}

const SECTION_TIMEOUT_MS = 10 * 60_000;
const needsFork = (subject: string): boolean => subject.endsWith('.fork') && subject !== 'cp.fork';

/** Runs one section's subjects, the fork ones in a `--single-threaded` process. */
async function runSection(
  job: SectionJob,
  onProgress: (line: string) => void,
): Promise<Map<string, SubjectResult>> {
  const byFlags = [
    { flags: safeModeFlags(), subjects: job.subjects.filter(needsFork) },
    { flags: [], subjects: job.subjects.filter((s) => !needsFork(s)) },
  ];
  const found = new Map<string, SubjectResult>();
  for (const { flags, subjects } of byFlags) {
    if (subjects.length === 0) continue;
    const answer = await runMeasuring<{ results: SubjectResult[] }>(
      'sectionRunner.js',
      flags,
      { ...job, subjects },
      onProgress,
      SECTION_TIMEOUT_MS,
    );
    for (const subject of subjects) {
      const result =
        'value' in answer
          ? answer.value.results.find((r) => r.subject === subject)
          : { subject, error: answer.error };
      found.set(subject, result ?? { subject, error: 'no result' });
    }
  }
  return found;
}

function withSpeedup(points: ScalingPoint[]): ScalingRow['points'] {
  const one = points.find((p) => p.n === 1)?.wallMs;
  return points.map((p) => ({ ...p, speedup: one === undefined ? NaN : (p.n * one) / p.wallMs }));
}

function pythonRows(python: PythonResults): { messaging: MessagingRow[]; scaling: ScalingRow[] } {
  const messaging: MessagingRow[] = [];
  const scaling: ScalingRow[] = [];
  for (const [method, m] of Object.entries(python.methods)) {
    const base = { language: 'Python' as const, singleThreaded: false };
    messaging.push({
      ...base,
      subject: `python.pool.${method}`,
      label: `Python Pool(${method})`,
      ...('value' in m.messaging ? { figures: m.messaging.value } : { error: m.messaging.error }),
    });
    scaling.push({
      ...base,
      subject: `python.process.${method}`,
      label: `Python Process(${method})`,
      points: 'value' in m.scaling ? withSpeedup(m.scaling.value) : [],
      ...('error' in m.scaling ? { error: m.scaling.error } : {}),
    });
  }
  return { messaging, scaling };
}

/** The JavaScript row of one subject, with its figures or its error. */
function jsRow(subject: string, label: string, found: SubjectResult | undefined): SectionRow {
  return {
    subject,
    label,
    language: 'JavaScript',
    singleThreaded: needsFork(subject),
    ...(found?.error === undefined ? {} : { error: found.error }),
  };
}

async function runJavaScript(options: SectionOptions): Promise<SectionResults> {
  const wants = (s: Section): boolean => options.include.includes(s);
  const messagingSubjects = wants('messaging') ? MESSAGING_SUBJECTS : [];
  const scalingSubjects = wants('scaling') ? SCALING_SUBJECTS : [];
  const messagingFound = await runSection(
    { section: 'messaging', subjects: [...messagingSubjects], config: options.messaging },
    options.onProgress,
  );
  const scalingConfig: ScalingConfig = {
    counts: options.counts,
    iterations: calibrateSpin(options.spinMs),
  };
  const scalingFound = await runSection(
    { section: 'scaling', subjects: [...scalingSubjects], config: scalingConfig },
    options.onProgress,
  );
  return {
    messaging: messagingSubjects.map((subject) => {
      const r = messagingFound.get(subject);
      return {
        ...jsRow(subject, MESSAGING_LABELS[subject], r),
        ...(r?.figures === undefined ? {} : { figures: r.figures as MessagingFigures }),
      };
    }),
    scaling: scalingSubjects.map((subject) => {
      const r = scalingFound.get(subject);
      return {
        ...jsRow(subject, SCALING_LABELS[subject], r),
        points: r?.figures === undefined ? [] : withSpeedup(r.figures as ScalingPoint[]),
      };
    }),
  };
}

export async function runSections(options: SectionOptions): Promise<SectionResults> {
  const results = await runJavaScript(options);
  if (!options.include.includes('python')) return results;
  const found = findPython(options.python);
  if ('skip' in found) return { ...results, pythonNote: found.skip };
  const python = await runPython(
    found.python,
    {
      spinMs: options.spinMs,
      starts: options.pythonStarts,
      messaging: options.messaging,
      counts: options.counts,
    },
    options.onProgress,
  );
  if ('error' in python) return { ...results, pythonNote: `python3 failed: ${python.error}` };
  const rows = pythonRows(python.value);
  return {
    messaging: [...results.messaging, ...rows.messaging],
    scaling: [...results.scaling, ...rows.scaling],
    python: python.value,
  };
}
