/**
 * Tampering with a signed link in tests. Setting a hex digit to a fixed value is a no-op when it already holds
 * that value (1 run in 16 — which is how a CI run once got 200 instead of 403), so the digit is always changed.
 */

/** `hex` with the digit at `index` (negative counts from the end) replaced by a different hex digit. */
export function flipHexDigit(hex: string, index = -1): string {
  const at = index < 0 ? hex.length + index : index;
  if (at < 0 || at >= hex.length || !/[0-9a-f]/.test(hex[at]!)) throw new Error(`no hex digit at ${index} in "${hex}"`);
  return hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1);
}

/** `url` with the first hex digit of its `signature` query parameter changed. */
export function tamperSignature(url: string): string {
  const tampered = url.replace(/([?&]signature=)([0-9a-f]+)/, (_m, key: string, hex: string) => key + flipHexDigit(hex, 0));
  if (tampered === url) throw new Error(`no hex signature parameter in ${url}`);
  return tampered;
}
