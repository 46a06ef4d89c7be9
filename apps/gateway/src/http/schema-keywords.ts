import { nameProblems } from '../cameras/camera-manager.js';
import { cameraUrlProblems } from '../cameras/camera-url.js';
import type { FieldProblem } from '../errors.js';

/**
 * JSON Schema keywords for the camera rules a plain schema cannot say: `x-camera-url` (the URL the
 * RTSP client accepts, checked by the client's own parser) and `x-camera-name`. As keywords, they
 * are checked in the same pass as the rest of the schema, so one answer names every invalid field
 * (`allErrors`), not the schema's problems first and these only once those are fixed. The `x-`
 * prefix keeps the published OpenAPI document valid (specification extensions).
 */
export function cameraSchemaKeywords<A extends { addKeyword(definition: KeywordDefinition): unknown }>(ajv: A): A {
  ajv.addKeyword(problemKeyword('x-camera-url', (value) => cameraUrlProblems(value)));
  ajv.addKeyword(problemKeyword('x-camera-name', (value) => nameProblems(value)));
  return ajv;
}

type KeywordDefinition = ReturnType<typeof problemKeyword>;

function problemKeyword(keyword: string, check: (value: string) => FieldProblem[]) {
  const validate = (_schema: unknown, data: unknown): boolean => {
    const problems = typeof data === 'string' ? check(data) : [];
    validate.errors = problems.map((problem): KeywordError => ({ keyword, message: problem.message, params: {} }));
    return problems.length === 0;
  };
  validate.errors = [] as KeywordError[];
  return { keyword, type: 'string' as const, schemaType: 'boolean' as const, errors: true, validate };
}

/** What Ajv reads from a keyword's `errors` (its ErrorObject, the fields we set). */
interface KeywordError {
  keyword: string;
  message: string;
  params: Record<string, never>;
}
