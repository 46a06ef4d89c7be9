import { MAX_WARNINGS } from './limits.js';

/**
 * What the parser skipped or repaired, for logs. Bounded: past MAX_WARNINGS, the rest are
 * counted and summarised in one last entry, so a hostile SDP cannot grow the list.
 */
export class Warnings {
  readonly #list: string[] = [];
  #dropped = 0;

  add(message: string): void {
    if (this.#list.length < MAX_WARNINGS) this.#list.push(message);
    else this.#dropped++;
  }

  toArray(): string[] {
    return this.#dropped === 0 ? [...this.#list] : [...this.#list, `${this.#dropped} more warnings were dropped`];
  }
}
