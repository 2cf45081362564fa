/**
 * JSON text from the payload editor, parsed with the position of a syntax error turned into line and
 * column. Engines report the offset only for some errors ("Unexpected token '}', ... is not valid JSON"
 * has none), so a missing offset is found by searching for the shortest prefix that fails for a reason
 * other than ending early: JSON parsers stop at the first bad character, so that search is monotonic.
 */

/** The result of {@link parseJsonText}. */
export type ParsedJson =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string; readonly line: number; readonly column: number };

/** Parses JSON; on a syntax error returns a short message plus the 1-based line and column of the offending character. */
export function parseJsonText(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const offset = reportedOffset(raw) ?? firstBadOffset(text);
    const before = text.slice(0, offset).split("\n");
    const message = raw.replace(/, ".*" is not valid JSON$/s, "").replace(/\s*(in JSON )?at position \d+.*$/s, "") || "Invalid JSON";
    return { ok: false, message, line: before.length, column: (before.at(-1) ?? "").length + 1 };
  }
}

function reportedOffset(message: string): number | undefined {
  const match = /at position (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** Whether a prefix of the text is wrong in itself, not merely cut short. */
function failsBeforeEnd(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = reportedOffset(message);
    return offset !== undefined ? offset < prefix.length : !/end of JSON input/i.test(message);
  }
}

/** Offset of the first character no valid JSON document can continue with (the text length when it just ends early). */
function firstBadOffset(text: string): number {
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsBeforeEnd(text.slice(0, mid + 1))) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
