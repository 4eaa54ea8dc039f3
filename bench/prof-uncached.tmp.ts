import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { createTestApp } from '../test/support/app';
import { TimelineController } from '../src/api/timeline.controller';
import { TimelineQueryDto } from '../src/api/dto/query.dto';
import { plainToInstance } from 'class-transformer';

async function main() {
  const app = await createTestApp({ sqlitePath: '/tmp/prof/data/events.db', readModelPath: '/tmp/prof/data/rm-u.db', answerCacheBytes: 0, auth: { rateLimitsPerMinute: { reads: 1e9, writes: 1e9, auth: 1e9 } } as never });
  const controller = app.get(TimelineController);
  const dto = plainToInstance(TimelineQueryDto, { asOf: '2017-06-01' });
  const f = app.getHttpAdapter().getInstance();
  const time = async (name: string, n: number, fn: () => unknown) => {
    for (let i = 0; i < 20; i++) await fn();
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn();
    console.log(name, ((performance.now() - t) * 1000 / n).toFixed(0), 'us');
  };
  let answer: unknown;
  await time('controller.get (queries)', 300, () => (answer = controller.get(dto)));
  const s = JSON.stringify(answer);
  await time('JSON.stringify', 300, () => JSON.stringify(answer));
  const b = Buffer.from(s);
  await time('sha256', 300, () => createHash('sha256').update(b).digest('base64url'));
  await time('inject uncached', 300, () => f.inject({ method: 'GET', url: '/timeline?asOf=2017-06-01' }));
  await app.close();
}
void main();
