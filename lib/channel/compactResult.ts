/**
 * A task's answer whose value is a number, a short string, a boolean, null
 * or undefined, encoded without v8.serialize: a pool's trivial tasks spend
 * most of their time creating serializers, not running. The payload starts
 * with a byte v8.serialize never writes first (it starts with its version
 * tag, 0xff), so the decoder tells the two apart by that byte.
 *
 * Payload: [COMPACT_TAG] [kind] [task id: float64 LE] [value].
 */
export const COMPACT_TAG = 0x00;
/** Longer strings go through v8.serialize (which copies one-byte strings as they are). */
const MAX_STRING_BYTES = 4096;
const VALUE_AT = 10;

/** The kind byte of a primitive value, shared with the compact task encoding. */
export const Kind = { Undefined: 0, Null: 1, True: 2, False: 3, Number: 4, String: 5 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The answer `{ type: 'result', id, ok: true, value }` as it is decoded. */
export interface CompactResult {
  type: 'result';
  id: number;
  ok: true;
  value: unknown;
}

function kindOf(value: unknown): Kind | undefined {
  switch (typeof value) {
    case 'undefined':
      return Kind.Undefined;
    case 'boolean':
      return value ? Kind.True : Kind.False;
    case 'number':
      return Kind.Number;
    case 'string':
      return value.length <= MAX_STRING_BYTES / 3 ? Kind.String : undefined;
    default:
      return value === null ? Kind.Null : undefined;
  }
}

/** The whole frame (`header` bytes reserved in front), or undefined when `value` needs v8.serialize. */
export function encodeCompactResult(
  id: number,
  value: unknown,
  header: number,
): Buffer | undefined {
  const kind = kindOf(value);
  if (kind === undefined) return undefined;
  const valueBytes =
    kind === Kind.Number ? 8 : kind === Kind.String ? Buffer.byteLength(value as string) : 0;
  const frame = Buffer.allocUnsafe(header + VALUE_AT + valueBytes);
  const payload = frame.subarray(header);
  payload[0] = COMPACT_TAG;
  payload[1] = kind;
  payload.writeDoubleLE(id, 2);
  if (kind === Kind.Number) payload.writeDoubleLE(value as number, VALUE_AT);
  else if (kind === Kind.String) payload.write(value as string, VALUE_AT, 'utf8');
  return frame;
}

/** Decodes a payload that starts with COMPACT_TAG; throws on one that is malformed. */
export function decodeCompactResult(payload: Buffer): CompactResult {
  if (payload.length < VALUE_AT) throw new Error('a compact result shorter than its header');
  const id = payload.readDoubleLE(2);
  const rest = payload.length - VALUE_AT;
  let value: unknown;
  const kind = payload[1];
  switch (kind) {
    case Kind.Undefined:
      value = undefined;
      break;
    case Kind.Null:
      value = null;
      break;
    case Kind.True:
      value = true;
      break;
    case Kind.False:
      value = false;
      break;
    case Kind.Number:
      if (rest !== 8) throw new Error('a compact number that is not 8 bytes');
      value = payload.readDoubleLE(VALUE_AT);
      break;
    case Kind.String:
      value = payload.toString('utf8', VALUE_AT);
      break;
    default:
      throw new Error(`a compact result of unknown kind ${kind}`);
  }
  if (kind !== Kind.Number && kind !== Kind.String && rest) {
    throw new Error('a compact result with trailing bytes');
  }
  return { type: 'result', id, ok: true, value };
}
