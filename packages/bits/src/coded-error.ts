/**
 * The one error shape every camgate package throws: a stable, machine-readable
 * `code` (tests and API clients match on it) and a message written for humans.
 * It lives at the bottom of the dependency graph so that every package shares it.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `err` is a {@link CodedError}, optionally with the given code. */
export function isCodedError<Code extends string>(err: unknown, code?: Code): err is CodedError<Code> {
  return err instanceof CodedError && (code === undefined || err.code === code);
}
