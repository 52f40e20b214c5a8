/**
 * Types only: what `result.stdout` and `result.stderr` are for given
 * options, as execa's types narrow them. A slot that is `'pipe'` (the
 * default, and any slot left out of a shorter `stdio` array) is collected:
 * a `string`, or a `Buffer` with `encoding: 'buffer'`. Any other slot
 * (`'inherit'`, `'ignore'`, an fd, a stream) is `undefined`. Options whose
 * types are not literal (a `stdio` typed as a plain array, an `encoding`
 * typed as a union) give the union of what they could be.
 */
import type { SpawnOptions } from './options';

/** The `stdio` entry of fd `slot` in options `O` (the default: `'pipe'`). */
type EntryAt<O, Slot extends number> = O extends { stdio: infer S }
  ? S extends readonly unknown[]
    ? number extends S['length']
      ? S[number] | 'pipe'
      : `${Slot}` extends keyof S
        ? S[Slot]
        : 'pipe'
    : S extends undefined
      ? 'pipe'
      : S
  : 'pipe';

/** The collected type with `O`'s encoding. */
type Decoded<O> = O extends { encoding: infer E }
  ? [E] extends ['buffer']
    ? Buffer
    : 'buffer' extends E
      ? string | Buffer
      : string
  : string;

/** `result.stdout` (slot 1) or `result.stderr` (slot 2) for options `O`. */
export type OutputOf<O, Slot extends 1 | 2> = [EntryAt<O, Slot>] extends ['pipe']
  ? Decoded<O>
  : 'pipe' extends EntryAt<O, Slot>
    ? Decoded<O> | undefined
    : undefined;

/** Options `O` with no key SpawnOptions does not have (a generic parameter skips excess-property checks). */
export type ExactOptions<O> = O & { [K in Exclude<keyof O, keyof SpawnOptions>]: never };

/** The options when none are given: every slot a pipe, utf8. */
export interface NoOptions {
  readonly stdio?: undefined;
  readonly encoding?: undefined;
}
