import type { OpenAPIObject } from '@nestjs/swagger';

type Operation = { parameters?: { name: string; in: string }[]; responses?: Record<string, Record<string, unknown>> };

const str = (description: string) => ({ description, schema: { type: 'string' } });

const ANSWER_HEADERS = {
  ETag: str('Names this answer: the hash of its JSON (W/"…"), or for a fact or figure its revision (also what If-Match takes on writes). Send it back in If-None-Match.'),
  'Cache-Control': str('`public, max-age=31536000, immutable` (private when reads need a key) when knownAt lies before the record time of an event already applied: no later event can change the answer. Otherwise `no-cache`: keep it, but ask again with If-None-Match.'),
  Vary: str('accept-encoding: br or gzip when asked and the answer is at least 1 kB.'),
};

/** The conditional-GET side of citable reads (those that take `receipt`): If-None-Match, 304 and the caching headers. */
export function describeCaching(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    const operation = item.get as Operation | undefined;
    if (!operation?.parameters?.some((p) => p.in === 'query' && p.name === 'receipt')) continue;
    operation.parameters.push({
      name: 'If-None-Match',
      in: 'header',
      required: false,
      description: 'An ETag this URL answered: 304 with no body while the answer is still that one',
      schema: { type: 'string' },
    } as never);
    const responses = (operation.responses ??= {});
    if (responses['200']) responses['200'].headers = { ...(responses['200'].headers as object | undefined), ...ANSWER_HEADERS };
    responses['304'] = { description: 'Not Modified: the answer is still the one If-None-Match names', headers: { ETag: ANSWER_HEADERS.ETag, 'Cache-Control': ANSWER_HEADERS['Cache-Control'] } };
  }
}
