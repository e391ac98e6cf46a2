import { describe, expect, it } from 'vitest';
import { flipHexDigit, tamperSignature } from './tamper.js';

describe('test tampering helpers', () => {
  it('always changes the digit, whatever it was', () => {
    for (const digit of '0123456789abcdef') {
      expect(flipHexDigit(`ab${digit}`)).not.toBe(`ab${digit}`);
      expect(flipHexDigit(`${digit}ab`, 0)).not.toBe(`${digit}ab`);
    }
    expect(flipHexDigit('a0c', 1)).toBe('a1c');
    expect(() => flipHexDigit('xyz')).toThrow(/no hex digit/);
  });

  it('changes only the signature parameter, and refuses a URL without one', () => {
    expect(tamperSignature('http://h/p?expires=100&signature=0abc')).toBe('http://h/p?expires=100&signature=1abc');
    expect(tamperSignature('http://h/p?signature=fab&expires=100')).toBe('http://h/p?signature=0ab&expires=100');
    expect(() => tamperSignature('http://h/p?expires=100')).toThrow(/no hex signature/);
  });
});
