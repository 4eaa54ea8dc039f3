import { rebuildReadModels } from './rebuild';
import { existsSync } from 'node:fs';
import { FigureQueries } from '../src/projections/figures/figures.queries';
import { TimelineQueries } from '../src/projections/timeline/timeline.queries';
import { TimelineController } from '../src/api/timeline.controller';
import { TimelineQueryDto } from '../src/api/dto/query.dto';
import { openReadModelDatabase } from '../src/projections/read-model-database';
import { figureId, randomDay, rng } from './support/data';
async function main() {
  for (const size of process.argv.slice(2)) {
    const rm = `/tmp/p13/rm-${size}.db`;
    if (!existsSync(rm)) await rebuildReadModels(`/tmp/p13/events-${size}.db`, rm);
    const db = openReadModelDatabase(rm);
    const figures = new FigureQueries(db);
    const timeline = new TimelineController(new TimelineQueries(db), figures);
    const r = rng(5);
    const measure = (name: string, f: () => unknown) => {
      const t: number[] = []; let bytes = 0;
      for (let i = 0; i < 400; i++) { const s = performance.now(); const x = f(); t.push(performance.now() - s); if (i < 20) bytes += JSON.stringify(x).length; }
      t.sort((a, b) => a - b);
      console.log(size, name, 'p50', t[200].toFixed(3), 'p99', t[396].toFixed(3), 'bytes', Math.round(bytes / 20));
    };
    measure('summary', () => figures.summaryOf(figureId(Math.floor(r() * 1000)), { asOf: randomDay(r) }));
    measure('figure', () => figures.figure(figureId(Math.floor(r() * 1000)), { asOf: randomDay(r) }, { limit: 20 }));
    measure('history20', () => figures.history(figureId(Math.floor(r() * 1000)), { asOf: randomDay(r) }, { limit: 20 }));
    measure('timeline', () => timeline.get(Object.assign(new TimelineQueryDto(), { asOf: randomDay(r) })));
    measure('timeline-nofig', () => new TimelineQueries(db).timeline({ asOf: randomDay(r), limit: 50 }));
    measure('figures10', () => figures.figures({ asOf: randomDay(r) }, 11, 0));
    db.close();
  }
}
main();
