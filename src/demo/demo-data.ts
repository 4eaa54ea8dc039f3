import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The demo file: the same bodies a client would POST. */
export interface DemoData {
  readonly facts: readonly Record<string, unknown>[];
  readonly figures: readonly (Record<string, unknown> & { id: string; claims?: readonly Record<string, unknown>[] })[];
}

export const DEMO_DATA_FILE = join(__dirname, '..', '..', 'data', 'demo.json');
export const DEMO_ACTOR = 'annals-demo-import';

export class DemoImportError extends Error {}

/**
 * Imports the demo data through the service's own public HTTP write path (app.inject runs the
 * full request pipeline: validation, decide, append, projection wait), so the demo obeys exactly
 * the rules any client does. Returns the number of requests made.
 */
export async function importDemoData(app: NestFastifyApplication, file = DEMO_DATA_FILE): Promise<number> {
  const demo = JSON.parse(readFileSync(file, 'utf8')) as DemoData;
  const requests: { url: string; body: Record<string, unknown> }[] = [
    ...demo.facts.map((body) => ({ url: '/facts', body })),
    ...demo.figures.flatMap(({ claims = [], ...figure }) => [
      { url: '/figures', body: figure },
      ...claims.map((body) => ({ url: `/figures/${figure.id}/claims`, body })),
    ]),
  ];
  for (const { url, body } of requests) {
    const response = await app.inject({
      method: 'POST',
      url,
      payload: body,
      // The key makes a re-run after a crash mid-import a no-op for what was already written.
      headers: { 'content-type': 'application/json', 'x-actor': DEMO_ACTOR, 'idempotency-key': `demo:${url}:${String(body.id)}` },
    });
    if (response.statusCode >= 300) {
      throw new DemoImportError(`demo import failed at POST ${url} ${String(body.id)}: ${response.statusCode} ${response.body}`);
    }
  }
  return requests.length;
}
