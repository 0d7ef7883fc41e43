/**
 * Durations in requests: a number of milliseconds, or a string of one or more `<number><unit>` parts
 * with units `ms`, `s`, `m`, `h` — the forms Temporal's own tools and Go's `time.Duration` print
 * ("5s", "5m", "1m30s", "1500ms", "0.5h"; spaces between parts are allowed: "1m 30s"). A bare numeric string ("5000") is milliseconds, as in
 * Temporal's TypeScript SDK. Anything else is refused rather than guessed at.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)/y;
const MAX_STRING_LENGTH = 64;

export type DurationParse = { ok: true; ms: number } | { ok: false; reason: string };

export function parseDuration(value: unknown): DurationParse {
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? { ok: true, ms: value }
      : { ok: false, reason: 'must be a finite number of milliseconds' };
  }
  if (typeof value !== 'string') {
    return { ok: false, reason: `must be a duration string like "5s" or a number of milliseconds (got ${describeType(value)})` };
  }
  const text = value.trim();
  if (text.length === 0 || text.length > MAX_STRING_LENGTH) {
    return { ok: false, reason: `must be a duration string like "5s" or "1m30s" (got ${quote(value)})` };
  }
  if (/^\d+$/.test(text)) return { ok: true, ms: Number(text) };

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) {
      return { ok: false, reason: `must be a duration string like "5s" or "1m30s" (got ${quote(value)})` };
    }
    const [, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total)
    ? { ok: true, ms: total }
    : { ok: false, reason: `must be a duration string like "5s" or "1m30s" (got ${quote(value)})` };
}

/** "5000" -> "5s", "90000" -> "1m30s": for messages a person reads. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${quote(value)}`;
}

/** A short, printable rendering of a user-supplied value for error messages. */
export function quote(value: unknown): string {
  // Only the start matters: a megabyte string is quoted as fast as a short one. 84 UTF-16 units hold
  // more than 40 code points, plus room for JSON escapes, so the output is the same either way.
  const text = typeof value === 'string' ? JSON.stringify(value.length > 84 ? value.slice(0, 84) : value) : String(value);
  return truncate(text, 40);
}

/** Shortens to at most `max` characters, counting code points so an emoji is never split. */
export function truncate(text: string, max: number): string {
  // Looks at no more than max + 1 code points (at most 2 UTF-16 units each) of a long text.
  const chars = Array.from(text.length > 2 * max + 2 ? text.slice(0, 2 * max + 2) : text);
  return chars.length > max || text.length > 2 * max + 2 ? `${chars.slice(0, max - 3).join('')}...` : text;
}
