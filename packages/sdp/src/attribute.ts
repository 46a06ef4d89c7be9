/** An `a=<name>[:<value>]` line (RFC 8866 §5.13). */
export interface SdpAttribute {
  /** As sent; attribute names are case-insensitive in practice, so compare with {@link findAttribute}. */
  name: string;
  /** Everything after the first `:`, as sent (trailing whitespace trimmed); undefined for a flag (`a=recvonly`). */
  value: string | undefined;
}

/** The media directions of RFC 8866 §6.7. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const DIRECTIONS: ReadonlySet<string> = new Set<Direction>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** Splits the text after `a=` into name and value. */
export function parseAttribute(text: string): SdpAttribute {
  const colon = text.indexOf(':');
  return colon < 0 ? { name: text, value: undefined } : { name: text.slice(0, colon), value: text.slice(colon + 1) };
}

/** The first attribute with this name, compared case-insensitively. */
export function findAttribute(attributes: readonly SdpAttribute[], name: string): SdpAttribute | undefined {
  const wanted = name.toLowerCase();
  return attributes.find((attribute) => attribute.name.toLowerCase() === wanted);
}

/** The direction an attribute sets, if it is one of the four direction flags (any case). */
export function directionOf(attribute: SdpAttribute): Direction | undefined {
  const name = attribute.name.trim().toLowerCase();
  return DIRECTIONS.has(name) ? (name as Direction) : undefined;
}
