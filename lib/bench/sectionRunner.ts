/**
 * A measuring process for the messaging and scaling sections:
 * `node [flags] dist/bench/sectionRunner.js <job JSON>`. It measures each
 * subject in turn and prints one JSON line; a subject that fails is
 * reported with its error and the others go on. Progress goes to stderr.
 */
import { writeSync } from 'node:fs';
import { forkserver } from '../process';
import { measureMessaging, type MessagingConfig, type MessagingSubject } from './messaging';
import { measureScaling, type ScalingConfig, type ScalingSubject } from './scaling';
import { errorText } from './errorText';

export type SectionJob =
  | { section: 'messaging'; subjects: MessagingSubject[]; config: MessagingConfig }
  | { section: 'scaling'; subjects: ScalingSubject[]; config: ScalingConfig };

export interface SubjectResult {
  subject: string;
  figures?: unknown;
  error?: string;
}

function measure(job: SectionJob, subject: string): Promise<unknown> {
  return job.section === 'messaging'
    ? measureMessaging(subject as MessagingSubject, job.config)
    : measureScaling(subject as ScalingSubject, job.config);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as SectionJob;
  const results: SubjectResult[] = [];
  for (const subject of job.subjects) {
    process.stderr.write(`${JSON.stringify({ progress: `${job.section} ${subject}` })}\n`);
    try {
      results.push({ subject, figures: await measure(job, subject) });
    } catch (error) {
      results.push({ subject, error: errorText(error) });
    }
  }
  await forkserver.stop();
  writeSync(1, `${JSON.stringify({ results })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
