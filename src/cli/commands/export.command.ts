import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { EventStore } from '../../event-store/event-store';
import { openEventStore } from '../../event-store/event-store.module';
import { exportLog } from '../../export/log-ndjson';
import { isLogPosition } from '../../api/dto/log-position';
import { RequestValidationError } from '../../api/problem';
import { validateRecord } from '../../api/validation';
import { ClaimsExportQueryDto, TimelineExportQueryDto } from '../../export/export.controller';
import { CLAIMS_FORMATS, formatNamed, formatNames, renderExport, TIMELINE_FORMATS } from '../../export/export-formats';
import { timelineFacts } from '../../export/views';
import { FigureQueries } from '../../projections/figures/figures.queries';
import { TimelineQueries } from '../../projections/timeline/timeline.queries';
import { CliError, EXIT, globals, withCore, type Cli } from '../cli';

export function registerExport(program: Command, cli: Cli): void {
  const exporting = program.command('export').description('export the log (NDJSON) or a view (CSV, TimelineJS, JSON-LD) at any asOf/knownAt');
  exporting
    .command('claims')
    .description("a figure's claims in force at asOf/knownAt: CSV in the claims import layout, or schema.org Claim JSON-LD")
    .argument('<figureId>', 'the figure')
    .option('--format <format>', formatNames(CLAIMS_FORMATS).join(' or '), CLAIMS_FORMATS[0].name)
    .option('--as-of <day>', 'claims asserted by this day (YYYY-MM-DD)')
    .option('--known-at <instant>', 'as the service recorded them at this instant (ISO 8601 with a time)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExamples:\n  annals --data-dir .annals export claims coalition-strikes --as-of 2018-12-31 > sheet.csv\n  annals --url http://localhost:3000 export claims civilians-killed-by-coalition-strikes --format jsonld --as-of 2019-03-31')
    .action(
      cli.action(async (figureId: string, options: ViewOptions, command: Command) => {
        const global = globals(command);
        const query = await viewQuery(ClaimsExportQueryDto, options, {});
        if (global.url) {
          await write(cli, options.out, [await cli.requestText(global, 'GET', `/export/figures/${encodeURIComponent(figureId)}/claims?${new URLSearchParams(query as Record<string, string>)}`)]);
          return;
        }
        const text = await withCore(cli, global, async (app) => {
          const figures = app.get(FigureQueries);
          const dto = await validateRecord(ClaimsExportQueryDto, query);
          const figure = figures.summaryOf(figureId, dto.clocks());
          if (!figure) throw new CliError(`figure ${figureId} not found`, EXIT.notFound);
          const claims = figures.claims(figureId, dto.clocks());
          return renderExport(formatNamed(CLAIMS_FORMATS, dto.format), { figureId, figure, claims, clocks: dto.clocks() }, 2);
        });
        await write(cli, options.out, [text]);
      }),
    );
  exporting
    .command('timeline')
    .description('the timeline at asOf/knownAt: CSV in the facts import layout, or TimelineJS3 JSON for Knight Lab\'s embed')
    .option('--format <format>', formatNames(TIMELINE_FORMATS).join(' or '), TIMELINE_FORMATS[0].name)
    .option('--as-of <day>', 'the world on this day (YYYY-MM-DD)')
    .option('--known-at <instant>', 'as the service recorded it at this instant (ISO 8601 with a time)')
    .option('--tag <tag>', 'only facts with this tag')
    .option('--entity <name>', 'only facts naming this entity')
    .option('--from <day>', 'valid time from this day')
    .option('--to <day>', 'valid time to this day')
    .option('--include-retracted', 'with retracted facts, marked')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExamples:\n  annals export timeline --format timelinejs --as-of 2019-03-31 --out timeline.json\n  annals --url http://localhost:3000 export timeline --tag centcom > centcom.csv')
    .action(
      cli.action(async (options: ViewOptions & { tag?: string; entity?: string; from?: string; to?: string; includeRetracted?: boolean }, command: Command) => {
        const global = globals(command);
        const filters = { tag: options.tag, entity: options.entity, from: options.from, to: options.to, includeRetracted: options.includeRetracted ? 'true' : undefined };
        const query = await viewQuery(TimelineExportQueryDto, options, filters);
        if (global.url) {
          await write(cli, options.out, [await cli.requestText(global, 'GET', `/export/timeline?${new URLSearchParams(query as Record<string, string>)}`)]);
          return;
        }
        const text = await withCore(cli, global, async (app) => {
          const dto = await validateRecord(TimelineExportQueryDto, query);
          const { format: _, asOf: __, knownAt: ___, ...rest } = dto;
          const facts = timelineFacts(app.get(TimelineQueries), { ...rest, ...dto.clocks() });
          return renderExport(formatNamed(TIMELINE_FORMATS, dto.format), { facts, clocks: dto.clocks() }, 2);
        });
        await write(cli, options.out, [text]);
      }),
    );
  exporting
    .command('log')
    .description('every event of the log as NDJSON: position, id, stream, revision, type, data, metadata, record time (restorable with `annals restore`)')
    .option('--from <position>', 'start at this log position (inclusive)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExamples:\n  annals --data-dir .annals export log > annals.ndjson\n  annals export log --from 1200 --out tail.ndjson')
    .action(
      cli.action(async (options: { from?: string; out?: string }, command: Command) => {
        const global = globals(command);
        if (options.from !== undefined && !isLogPosition(options.from)) throw new CliError('--from must be a log position: a whole number from 0 to 9223372036854775807', EXIT.usage);
        const from = options.from === undefined ? 'start' : BigInt(options.from);
        if (global.url) {
          const text = await cli.requestText(global, 'GET', `/admin/export/log${options.from ? `?from=${options.from}` : ''}`);
          await write(cli, options.out, [text]);
          return;
        }
        const store: EventStore = openEventStore(cli.config(global));
        try {
          await write(cli, options.out, exportLog(store, from));
        } finally {
          await store.close();
        }
      }),
    );
}

interface ViewOptions {
  format: string;
  asOf?: string;
  knownAt?: string;
  out?: string;
}

/** The query as the HTTP export takes it, checked by the same DTO before anything is opened. */
async function viewQuery<T extends object>(dto: new () => T, options: ViewOptions, filters: Record<string, string | undefined>): Promise<Record<string, string>> {
  const query = Object.fromEntries(
    Object.entries({ format: options.format, asOf: options.asOf, knownAt: options.knownAt, ...filters }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  try {
    await validateRecord(dto, { ...query });
  } catch (error) {
    if (error instanceof RequestValidationError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  return query;
}

/** Writes chunks to a file or stdout, waiting for drain so that a long export never buffers in memory. */
async function write(cli: Cli, out: string | undefined, chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  const stream = out ? createWriteStream(out) : cli.io.stdout;
  for await (const chunk of chunks) if (!stream.write(chunk)) await once(stream, 'drain');
  if (out) {
    stream.end();
    await once(stream, 'finish');
  }
}
