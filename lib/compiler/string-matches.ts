/**
 * ASL `StringMatches` (https://states-language.net/spec.html#choice-state): `*` matches any run of characters,
 * `\*` a literal star. How `Route` picks the state of a template-literal task id.
 */
export function stringMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split(/(\\\*|\*)/)
    .map((part) => (part === "*" ? ".*" : part === "\\*" ? "\\*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "s").test(value);
}
