import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeGlob, prefixPattern } from './glob.js';

/** Redis' stringmatchlen for the subset escapeGlob produces: literals, `\x` escapes, a final `*`. */
function redisMatch(pattern: string, text: string): boolean {
  let index = 0;
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at]!;
    if (char === '*' && at === pattern.length - 1) return true;
    if (char === '*' || char === '?' || char === '[') throw new Error(`unescaped ${char} in ${pattern}`);
    const literal = char === '\\' ? pattern[++at]! : char;
    if (text[index++] !== literal) return false;
  }
  return index === text.length;
}

describe('escapeGlob', () => {
  it('escapes exactly * ? [ ] and backslash', () => {
    expect(escapeGlob('a*b?c[d]e\\f^g-h{i}')).toBe('a\\*b\\?c\\[d\\]e\\\\f^g-h{i}');
    expect(escapeGlob('plain:prefix')).toBe('plain:prefix');
  });

  it('makes prefixPattern(p) match exactly the strings starting with p', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '*', '?', '[', ']', '\\', '^', '-', ':') });
    fc.assert(
      fc.property(text, text, (prefix, key) => {
        const pattern = prefixPattern(prefix);
        return redisMatch(pattern, prefix + key) && redisMatch(pattern, key) === key.startsWith(prefix);
      }),
      { numRuns: 2000 },
    );
  });
});
