/** RTSP header fields (RFC 2326 §12): names compared case-insensitively, order and repeats kept. */
export class RtspHeaders {
  readonly #entries: Array<[name: string, value: string]> = [];

  constructor(init?: Iterable<readonly [string, string]> | Record<string, string | undefined>) {
    if (init === undefined) return;
    const pairs = Symbol.iterator in init ? init : Object.entries(init);
    for (const [name, value] of pairs as Iterable<readonly [string, string | undefined]>) {
      if (value !== undefined) this.append(name, value);
    }
  }

  /** The first value of a header, trimmed. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.#entries.find(([n]) => n.toLowerCase() === lower)?.[1];
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.#entries.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every value of `name`; the name is written exactly as given (cameras want `CSeq`). */
  set(name: string, value: string): this {
    this.delete(name);
    return this.append(name, value);
  }

  append(name: string, value: string): this {
    this.#entries.push([name, value]);
    return this;
  }

  delete(name: string): void {
    const lower = name.toLowerCase();
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      if ((this.#entries[i] as [string, string])[0].toLowerCase() === lower) this.#entries.splice(i, 1);
    }
  }

  get size(): number {
    return this.#entries.length;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#entries[Symbol.iterator]();
  }
}
