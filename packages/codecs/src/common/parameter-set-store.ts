/**
 * Parameter sets by id, as received in band or from SDP. Cameras repeat them before every key
 * frame, so an unchanged copy is recognised by its bytes and not parsed again.
 */
export class ParameterSetStore<T> {
  readonly #byId = new Map<number, { bytes: Uint8Array; parsed: T }>();
  readonly #parse: (nal: Uint8Array) => T;
  readonly #idOf: (parsed: T) => number;

  constructor(parse: (nal: Uint8Array) => T, idOf: (parsed: T) => number) {
    this.#parse = parse;
    this.#idOf = idOf;
  }

  /**
   * Parses and stores `nal` unless the same bytes are already stored; returns true when it is new
   * or changed. Throws what the parser throws, leaving the store as it was. Ids are bounded by the
   * parsers (at most 256), and so is the store.
   */
  learn(nal: Uint8Array): boolean {
    for (const stored of this.#byId.values()) if (equalBytes(stored.bytes, nal)) return false;
    const parsed = this.#parse(nal);
    // Copy: `nal` may be a view into a network buffer that is reused.
    this.#byId.set(this.#idOf(parsed), { bytes: nal.slice(), parsed });
    return true;
  }

  get(id: number): T | undefined {
    return this.#byId.get(id)?.parsed;
  }

  clear(): void {
    this.#byId.clear();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
