/**
 * Escapes a literal key prefix for a Redis glob (`SCAN MATCH`, `KEYS`): `*`, `?`, `[`, `]` and
 * `\` get a backslash, so `clear('a*b')` removes keys starting with the five characters `a*b`
 * and not every key starting with `a`. Redis' matcher (stringmatchlen) treats any other
 * character, `^` and `-` included, literally outside brackets.
 */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}

/** The pattern matching every key that starts with `prefix`. */
export function prefixPattern(prefix: string): string {
  return `${escapeGlob(prefix)}*`;
}
