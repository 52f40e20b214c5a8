/**
 * The message of a failed command, as execa writes it: what happened, then
 * the tail of what the command wrote to stderr, so a log line or an uncaught
 * rejection shows why without digging into `error.stderr`. The tail is
 * bounded (a few lines, a few hundred characters each) so that a chatty
 * command cannot make the message huge.
 */

/** Lines of stderr the message ends with. */
const TAIL_LINES = 5;
/** Characters kept of each of those lines. */
const LINE_CHARS = 300;

/** The last lines of `stderr` as text, each cut to a bounded length; '' when there is none. */
export function stderrTail(stderr: unknown): string {
  // Only the end can be shown: never split a huge output as a whole.
  const most = TAIL_LINES * (LINE_CHARS + 1) * 4;
  let text: string;
  if (typeof stderr === 'string') text = stderr.slice(-most);
  else if (Buffer.isBuffer(stderr)) text = stderr.subarray(-most).toString();
  else return '';
  const lines = text.trimEnd().split('\n').slice(-TAIL_LINES);
  return lines
    .map((line) => (line.length > LINE_CHARS ? `...${line.slice(-LINE_CHARS)}` : line))
    .join('\n')
    .trim();
}

/** `headline`, then the stderr tail on the lines below it when there is one. */
export function failureMessage(headline: string, stderr: unknown): string {
  const tail = stderrTail(stderr);
  return tail === '' ? headline : `${headline}\n${tail}`;
}
