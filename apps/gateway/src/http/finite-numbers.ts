/**
 * An Ajv plugin: a request whose validated data holds a number that is not finite (NaN, Infinity)
 * fails validation, naming each such field, whatever the schema.
 *
 * Why: Ajv's coercion turns the strings `1e309`, `Infinity` and `-1e309` of a query, path or header
 * into Infinity without checking the result again (`type: integer` and `minimum` both pass it), and
 * `JSON.parse` reads `1e309` in a body as Infinity; a handler then computes with it and the
 * response serializer throws (a 500). JSON has no such numbers (RFC 8259 §6), so none is accepted
 * anywhere. Checked after validation, on the data Ajv has coerced, for every schema the app
 * compiles: a guard in one schema (`maximum`) would miss the next one.
 */
export function finiteNumbers<A extends object>(instance: A): A {
  const ajv = instance as unknown as AjvCompiler;
  const wrapped = new WeakMap<ValidateFunction, ValidateFunction>();
  const wrap = (validate: ValidateFunction): ValidateFunction => {
    let checked = wrapped.get(validate);
    if (checked === undefined) {
      checked = finiteChecked(validate);
      wrapped.set(validate, checked);
    }
    return checked;
  };
  const compile = ajv.compile.bind(ajv);
  const getSchema = ajv.getSchema.bind(ajv);
  ajv.compile = (schema, meta) => wrap(compile(schema, meta));
  ajv.getSchema = (key) => {
    const validate = getSchema(key);
    return validate === undefined ? undefined : wrap(validate);
  };
  return instance;
}

/** The part of Ajv this plugin uses (Ajv itself is Fastify's, not a dependency of the gateway). */
export interface AjvCompiler {
  compile(schema: unknown, meta?: boolean): ValidateFunction;
  getSchema(key: string): ValidateFunction | undefined;
}

export interface ValidateFunction {
  (this: unknown, data: unknown, ...rest: unknown[]): boolean | Promise<unknown>;
  errors?: AjvError[] | null;
}

export interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const NOT_FINITE = 'must be a finite number';

function finiteChecked(validate: ValidateFunction): ValidateFunction {
  const checked: ValidateFunction = function (this: unknown, data: unknown, ...rest: unknown[]) {
    const result = validate.call(this, data, ...rest);
    checked.errors = validate.errors ?? null;
    // Async schemas ($async) are not used; their answer is left as it is.
    if (typeof result !== 'boolean') return result;
    const paths = nonFinitePaths(data);
    if (paths.length === 0) return result;
    const reported = new Set((checked.errors ?? []).map((error) => error.instancePath));
    const added = paths
      .filter((path) => !reported.has(path))
      .map((instancePath) => ({ instancePath, schemaPath: '#', keyword: 'finite', params: {}, message: NOT_FINITE }));
    checked.errors = [...(checked.errors ?? []), ...added];
    return false;
  };
  checked.errors = null;
  // Fastify and Ajv read a few more members of a compiled schema (schema, source, ...).
  for (const key of Object.keys(validate)) {
    if (key !== 'errors')
      (checked as unknown as Record<string, unknown>)[key] = (validate as unknown as Record<string, unknown>)[key];
  }
  return checked;
}

/**
 * JSON pointers (Ajv's `instancePath`) to every number in `data` that is not finite. Iterative: a
 * body may nest arrays thousands deep within its size limit.
 */
export function nonFinitePaths(data: unknown): string[] {
  const found: string[] = [];
  const stack: Array<[value: unknown, path: string]> = [[data, '']];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [value, path] = next;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) found.push(path);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}/${i}`]);
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, member] = entries[i] as [string, unknown];
        stack.push([member, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
      }
    }
  }
  return found;
}
