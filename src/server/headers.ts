/**
 * Header value validation (RFC 7230 field-vchar), as Node's `_http_common` and engine.io check the Origin header.
 */

/** True if `value` contains a character not allowed in a header field value (controls other than HTAB, DEL). */
export function hasInvalidHeaderChar(value: string | undefined): boolean {
  if (value === undefined) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return true;
  }
  return false;
}
