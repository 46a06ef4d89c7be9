import { HlsError, HlsErrorCode } from '../errors.js';

/** An attribute value already formatted as one of the types of RFC 8216 §4.2. */
export interface AttributeValue {
  readonly text: string;
}

function invalid(message: string): HlsError {
  return new HlsError(HlsErrorCode.INVALID_ATTRIBUTE, message);
}

/** Constructors for each attribute type of RFC 8216 §4.2; each validates its value. */
export const attr = {
  /** decimal-integer: 0 .. 2^64-1 (we accept safe integers). */
  integer(value: number): AttributeValue {
    if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${value} is not a decimal-integer`);
    return { text: String(value) };
  },

  /** decimal-floating-point, written with a fixed number of decimals (never an exponent). */
  float(value: number, fractionDigits = 3): AttributeValue {
    if (!Number.isFinite(value) || value < 0) throw invalid(`${value} is not a decimal-floating-point`);
    return { text: value.toFixed(fractionDigits) };
  },

  /** signed-decimal-floating-point (e.g. EXT-X-START TIME-OFFSET). */
  signedFloat(value: number, fractionDigits = 3): AttributeValue {
    if (!Number.isFinite(value)) throw invalid(`${value} is not a signed-decimal-floating-point`);
    return { text: value.toFixed(fractionDigits) };
  },

  /** quoted-string: any characters but `"`, CR and LF. */
  quoted(value: string): AttributeValue {
    if (/["\r\n]/.test(value)) throw invalid(`quoted-string ${JSON.stringify(value)} contains '"', CR or LF`);
    return { text: `"${value}"` };
  },

  /** enumerated-string: no `"`, `,` or whitespace (YES, NO, AUDIO, v2, ...). */
  enumerated(value: string): AttributeValue {
    if (!/^[^",\s]+$/.test(value)) throw invalid(`enumerated-string ${JSON.stringify(value)} is not allowed`);
    return { text: value };
  },

  /** decimal-resolution: WIDTHxHEIGHT. */
  resolution(width: number, height: number): AttributeValue {
    if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
      throw invalid(`${width}x${height} is not a decimal-resolution`);
    }
    return { text: `${width}x${height}` };
  },
};

/**
 * Formats an attribute-list (RFC 8216 §4.2): `NAME=value` pairs joined by commas,
 * in insertion order. Attributes whose value is `undefined` are left out, so
 * optional attributes can be written inline.
 */
export function formatAttributeList(attributes: Record<string, AttributeValue | undefined>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (!/^[A-Z0-9-]+$/.test(name)) throw invalid(`attribute name ${JSON.stringify(name)} is not [A-Z0-9-]+`);
    parts.push(`${name}=${value.text}`);
  }
  return parts.join(',');
}
