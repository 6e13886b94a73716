/**
 * A payload a person types in the palette's input box or the traffic view's send box, in the
 * payload syntax of `.sock` files.
 */
import { SocketLabError } from './errors';
import { decodeBase64, decodeEscapes, decodeHex } from './payload';

/**
 * Turns typed text into bytes with the payload syntax of `.sock` files: `hex 47 45 54`,
 * `base64 R0VU` (the keyword in any case, then whitespace), or else text with escapes
 * (`\r \n \t \0 \\ \" \xHH`, no quotes needed), encoded as UTF-8.
 *
 * @returns the bytes, or the message to show under the input box (never throws for bad input)
 */
export function parsePayloadInput(text: string): Buffer | string {
  try {
    if (/^hex\s/i.test(text)) return decodeHex(text.slice(4));
    if (/^base64\s/i.test(text)) return decodeBase64(text.slice(7));
    return decodeEscapes(text);
  } catch (err) {
    return err instanceof SocketLabError ? err.message : String(err);
  }
}
