/** `regexp`: one regular expression from parts (./regexp.ts). */
import { describe, expect, it } from '@jest/globals';
import { regexp } from './regexp.js';

describe('regexp', () => {
  it('matches the parts one after the other, anchors and escapes as written', () => {
    const pattern = regexp(/^a \(b\) /, /\d+ c\.$/);
    expect(pattern.test('a (b) 42 c.')).toBe(true);
    expect(pattern.test('a (b) 42 cx')).toBe(false);
    expect(pattern.test('x a (b) 42 c.')).toBe(false);
  });

  it('keeps alternatives inside their part', () => {
    const pattern = regexp(/^(?:x)|y/, /z$/);
    expect(['xz', 'yz'].map((text) => pattern.test(text))).toEqual([true, true]);
    expect(pattern.test('x')).toBe(false);
  });

  it('keeps the flags, and refuses parts with different ones', () => {
    expect(regexp(/a/i, /b/i).test('AB')).toBe(true);
    expect(() => regexp(/a/i, /b/)).toThrow(/one set of flags/);
  });
});
