/**
 * A config file written as JSON (YAML 1.2 is a superset of JSON) is read with JSON.parse, which is
 * one to two orders of magnitude faster than the YAML parser: a 50,000-API config is ~50 MB and the
 * YAML parser takes about a second per MB. The result must be exactly what the YAML parser gives,
 * so anything where the two could differ returns null and the caller uses the YAML parser (which
 * then also reports the problem with its usual message): text that is not a JSON object, JSON
 * with a duplicate key (YAML rejects it, JSON.parse would keep the last), or a `__proto__` key.
 */
export function parseJsonConfig(text: string): Record<string, unknown> | null {
  const first = text.search(/\S/);
  if (first < 0 || text.charCodeAt(first) !== 123 /* { */) return null;
  let value: unknown;
  try { value = JSON.parse(text); } catch { return null; }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const parsedKeys = countKeys(value);
  if (parsedKeys < 0 || parsedKeys !== countKeysInText(text)) return null;
  return value as Record<string, unknown>;
}

/** Object keys in the parsed value; -1 if a `__proto__` key shows up. */
function countKeys(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) { for (const item of v) stack.push(item); continue; }
    for (const key of Object.keys(v)) {
      if (key === '__proto__') return -1;
      count++;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return count;
}

/**
 * Keys as written: every JSON string token followed by a colon. The regex walks string tokens
 * left to right (outside strings JSON has no quotes), so a `":` inside a value is never counted.
 * Fewer keys parsed than written means a duplicate was dropped.
 */
function countKeysInText(text: string): number {
  const token = /"(?:[^"\\]|\\.)*"(\s*:)?/g;
  let count = 0;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) if (m[1] !== undefined) count++;
  return count;
}
