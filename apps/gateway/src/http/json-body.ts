import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';

/**
 * JSON bodies are UTF-8 (RFC 8259 §8.1) and nothing else: a body that is not valid UTF-8 is a 400
 * naming the field `body` (it is not turned into U+FFFD, which would store a name nobody typed),
 * and a content type that names another charset is a 415. The JSON itself goes to Fastify's own
 * parser, which refuses `__proto__` and `constructor.prototype` keys (prototype poisoning). Body
 * limits stay per route: the parser sets none of its own.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type'] ?? '');
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(errors.unsupportedCharset(charset), undefined);
      return;
    }
    let text: string;
    try {
      // A byte order mark is skipped (RFC 8259 §8.1 allows a parser to ignore one).
      text = utf8.decode(body as Buffer);
    } catch {
      done(errors.validation([{ field: 'body', message: 'is not valid UTF-8' }]), undefined);
      return;
    }
    void parseJson(request, text, (err, value: unknown) => {
      if (err === null) {
        done(null, value);
        return;
      }
      // Our words, not the parser's: V8's messages quote the text around the error, which may be
      // a camera password (S05).
      const poisoned = /prototype/i.test(err.message);
      const message = poisoned ? 'must not hold __proto__ or constructor.prototype keys' : 'is not valid JSON';
      done(errors.validation([{ field: 'body', message }]), undefined);
    });
  });
}

/** The charset parameter of a media type, lowercase and unquoted (RFC 9110 §8.3.1), if any. */
export function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/i.exec(contentType);
  if (match === null) return undefined;
  return (match[1] ?? match[2] ?? '').replace(/\\(.)/g, '$1').toLowerCase();
}
