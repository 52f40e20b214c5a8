/**
 * A task whose arguments are all numbers, short strings, booleans, null or
 * undefined, encoded without v8.serialize (creating a serializer costs more
 * than a trivial task runs). The target is not in it: it names a slot the
 * worker learnt from an earlier full (v8) task on the same channel.
 *
 * Payload: [COMPACT_TASK_TAG] [flags] [slot: u32] [id: float64] [argc: u32]
 * then, with the TARGET flag, the module target as two strings (path,
 * export), then per argument [kind] [value]: a number as float64, a string
 * as its u32 byte length and UTF-8 bytes. All little-endian.
 *
 * With the TARGET flag the task carries its module target itself (and
 * teaches `slot` as a full task does): a Process's task, so that a fresh
 * `spawn` child runs it without loading v8 (whose module pulls in Node's
 * streams, a sizeable part of a fresh node's start).
 */
import { Kind } from './compactResult';

export const COMPACT_TASK_TAG = 0x01;
/** Longer strings go through v8.serialize. */
const MAX_STRING_CHARS = 1365;
const ARGS_AT = 18;
const EACH = 1;
const TARGET = 2;

/** A compact task naming its target by slot; the runner fills in `target` from `slot`. */
export interface SlotTask {
  type: 'task';
  id: number;
  slot: number;
  args: unknown[];
  each: boolean;
}

/** A module target as a compact task carries it. */
export interface CompactTarget {
  kind: 'module';
  path: string;
  export: string;
}

/** A compact task that carries its module target (and teaches `slot` to name it). */
export interface TargetTask extends SlotTask {
  target: CompactTarget;
}

/** A compact task as the worker decodes it. */
export type CompactTask = SlotTask | TargetTask;

/** Upper bound of the bytes `args` take, or -1 when one of them needs v8.serialize. */
function argsBound(args: readonly unknown[]): number {
  let bytes = 0;
  for (const value of args) {
    switch (typeof value) {
      case 'number':
        bytes += 9;
        break;
      case 'string':
        if (value.length > MAX_STRING_CHARS) return -1;
        bytes += 5 + value.length * 3;
        break;
      case 'boolean':
      case 'undefined':
        bytes += 1;
        break;
      default:
        if (value !== null) return -1;
        bytes += 1;
    }
  }
  return bytes;
}

function writeArg(out: Buffer, at: number, value: unknown): number {
  switch (typeof value) {
    case 'number':
      out[at] = Kind.Number;
      out.writeDoubleLE(value, at + 1);
      return at + 9;
    case 'string': {
      out[at] = Kind.String;
      const length = out.write(value, at + 5, 'utf8');
      out.writeUInt32LE(length, at + 1);
      return at + 5 + length;
    }
    case 'boolean':
      out[at] = value ? Kind.True : Kind.False;
      return at + 1;
    case 'undefined':
      out[at] = Kind.Undefined;
      return at + 1;
    default:
      out[at] = Kind.Null;
      return at + 1;
  }
}

/**
 * The frame of a task (`header` bytes left in front for the caller), or
 * undefined when an argument needs v8.serialize.
 */
export function encodeCompactTask(
  id: number,
  slot: number,
  args: readonly unknown[],
  each: boolean,
  header: number,
  target?: CompactTarget,
): Buffer | undefined {
  const bound = argsBound(args);
  if (bound < 0) return undefined;
  const targetBound = target ? 8 + (target.path.length + target.export.length) * 3 : 0;
  const out = Buffer.allocUnsafe(header + ARGS_AT + targetBound + bound);
  const at = header;
  out[at] = COMPACT_TASK_TAG;
  out[at + 1] = (each ? EACH : 0) | (target ? TARGET : 0);
  out.writeUInt32LE(slot, at + 2);
  out.writeDoubleLE(id, at + 6);
  out.writeUInt32LE(args.length, at + 14);
  let end = at + ARGS_AT;
  if (target) end = writeString(out, writeString(out, end, target.path), target.export);
  for (const value of args) end = writeArg(out, end, value);
  return out.subarray(0, end);
}

function writeString(out: Buffer, at: number, value: string): number {
  const length = out.write(value, at + 4, 'utf8');
  out.writeUInt32LE(length, at);
  return at + 4 + length;
}

/** The string at `at` and where the next field starts. */
function readString(payload: Buffer, at: number): [string, number] {
  const end = at + 4 <= payload.length ? at + 4 + payload.readUInt32LE(at) : Infinity;
  if (end > payload.length) throw new Error('a compact task target that does not fit');
  return [payload.toString('utf8', at + 4, end), end];
}

function readArg(payload: Buffer, at: number, args: unknown[]): number {
  const kind = payload[at];
  switch (kind) {
    case Kind.Number:
      if (at + 9 > payload.length) break;
      args.push(payload.readDoubleLE(at + 1));
      return at + 9;
    case Kind.String: {
      if (at + 5 > payload.length) break;
      const end = at + 5 + payload.readUInt32LE(at + 1);
      if (end > payload.length) break;
      args.push(payload.toString('utf8', at + 5, end));
      return end;
    }
    case Kind.True:
    case Kind.False:
      args.push(kind === Kind.True);
      return at + 1;
    case Kind.Null:
      args.push(null);
      return at + 1;
    case Kind.Undefined:
      args.push(undefined);
      return at + 1;
  }
  throw new Error(`a compact task argument of kind ${String(kind)} that does not fit`);
}

/** Decodes a payload that starts with COMPACT_TASK_TAG; throws on one that is malformed. */
export function decodeCompactTask(payload: Buffer): CompactTask {
  if (payload.length < ARGS_AT) throw new Error('a compact task shorter than its header');
  const count = payload.readUInt32LE(14);
  if (count > payload.length - ARGS_AT) throw new Error('a compact task with too few arguments');
  const args: unknown[] = [];
  let at = ARGS_AT;
  let target: CompactTarget | undefined;
  if ((payload[1] & TARGET) !== 0) {
    const [path, exportAt] = readString(payload, at);
    const [exportName, argsAt] = readString(payload, exportAt);
    target = { kind: 'module', path, export: exportName };
    at = argsAt;
  }
  for (let i = 0; i < count; i++) at = readArg(payload, at, args);
  if (at !== payload.length) throw new Error('a compact task with trailing bytes');
  const task: SlotTask = {
    type: 'task',
    id: payload.readDoubleLE(6),
    slot: payload.readUInt32LE(2),
    args,
    each: (payload[1] & EACH) !== 0,
  };
  return target ? { ...task, target } : task;
}
