import { Command } from 'commander';
import { EVENT_STORE, type EventStore } from '../../event-store/event-store';
import { RequestValidationError } from '../../api/problem';
import { DomainError } from '../../domain/errors';
import { Cli, CliError, EXIT, globals, withCore, type GlobalOptions, type Io } from '../cli';
import { validateRecord } from '../../api/validation';
import { AppliedPosition } from '../../projections/applied-position';
import { FigureQueries } from '../../projections/figures/figures.queries';
import { TimelineQueries } from '../../projections/timeline/timeline.queries';
import type { SequencedNotice } from '../../watches/notice';
import type { Answer } from '../../watches/question';
import { ErasureService } from '../../erasure/erasure.service';
import { WatchStore } from '../../watches/watch-store';
import { keyedWatchText } from '../../watches/watch-text';
import { CreateWatchDto } from '../../watches/watches.dto';
import { watchesPath, watchesPerKey, webhookConfig } from '../../watches/watches.config';
import { WatchesService, type WatchView } from '../../watches/watches.service';

const processIo: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env };

interface CreateOptions {
  figure?: string;
  fact?: string;
  timeline?: boolean;
  asOf?: string;
  tag?: string;
  entity?: string;
  text?: string;
  from?: string;
  to?: string;
  limit?: string;
  title?: string;
  webhook?: string;
  owner: string;
}

/**
 * `annals watches create|list|delete|notices`: on a running server (--url, with an editor's
 * --key to create and delete) or on a data directory (no server running on it: its watches are
 * evaluated when the server next starts). Exit codes as every annals command (src/cli/exit-codes.ts):
 * 2 a bad option, 4 another owner's watch, 5 an unknown figure, fact or watch.
 */
export function watchesCommand(io: Io = processIo): Command {
  const cli = new Cli(io);
  const watches = new Command('watches').description('saved questions that record a notice when their answer changes (see README "Watches")');
  const done = () => {
    if (cli.exitCode !== EXIT.ok) process.exitCode = cli.exitCode;
  };

  watches
    .command('create')
    .description('watch a figure (--figure), a fact (--fact) or a timeline query (--timeline), optionally as of a day')
    .option('--figure <id>', 'a figure: its latest claims, spread and history')
    .option('--fact <id>', 'a fact')
    .option('--timeline', 'the first page of a timeline query (--tag, --entity, --text, --from, --to, --limit)')
    .option('--as-of <day>', 'the world on this day (YYYY-MM-DD)')
    .option('--tag <tag>')
    .option('--entity <name>')
    .option('--text <words>')
    .option('--from <day>')
    .option('--to <day>')
    .option('--limit <n>')
    .option('--title <text>', 'a name for the watch')
    .option('--webhook <url>', 'POST each notice here, signed (Standard Webhooks); the secret is printed once')
    .option('--owner <name>', 'on a data directory: who owns it (with --url: the key’s name)', 'annals-cli')
    .addHelpText('after', '\nExamples:\n  annals --url http://localhost:3000 --key $KEY watches create --figure civilians-killed-by-coalition-strikes --as-of 2019-03-28 --webhook https://desk.example.org/hooks/annals\n  annals --data-dir .annals watches create --timeline --tag raqqa --as-of 2019-03-28')
    .action(
      cli.action(async (options: CreateOptions, command: Command) => {
        const global = globals(command);
        const kinds = [options.figure && 'figure', options.fact && 'fact', options.timeline && 'timeline'].filter(Boolean);
        if (kinds.length !== 1) throw new CliError('give one of --figure <id>, --fact <id> or --timeline', EXIT.usage);
        const body = {
          kind: kinds[0],
          figureId: options.figure,
          factId: options.fact,
          asOf: options.asOf,
          tag: options.tag,
          entity: options.entity,
          text: options.text,
          from: options.from,
          to: options.to,
          limit: options.limit === undefined ? undefined : Number(options.limit),
          title: options.title,
          webhookUrl: options.webhook,
        };
        const plain = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
        const created = global.url
          ? ((await cli.request(global, 'POST', '/watches', JSON.stringify(plain))) as { watch: WatchView; answer: Answer; webhook?: { secret: string } })
          : await onDataDir(cli, global, async (service) => {
              const dto = await usage(() => validateRecord(CreateWatchDto, plain));
              const result = await usage(async () => service.create({ question: dto.toQuestion(), owner: options.owner, title: dto.title, webhookUrl: dto.webhookUrl, marks: dto.marks(), fields: dto.fields() }));
              return { watch: result.watch, answer: result.answer, ...(result.secret ? { webhook: { url: dto.webhookUrl, secret: result.secret } } : {}) };
            });
        const lines = [`watch ${created.watch.id}: ${created.watch.description}`];
        if (created.webhook) lines.push(`webhook secret (shown once, keep it): ${created.webhook.secret}`);
        cli.print(global, lines.join('\n'), created);
      }),
    )
    .hook('postAction', done);

  watches
    .command('list')
    .description('the watches, their owners and webhook deliveries')
    .action(
      cli.action(async (_: unknown, command: Command) => {
        const global = globals(command);
        const items: WatchView[] = [];
        let cursor: string | null = null;
        if (global.url) {
          do {
            const page = (await cli.request(global, 'GET', `/watches?limit=500${cursor ? `&cursor=${cursor}` : ''}`)) as { items: WatchView[]; nextCursor: string | null };
            items.push(...page.items);
            cursor = page.nextCursor;
          } while (cursor);
        } else {
          await onDataDir(cli, global, async (service) => {
            do {
              const page = service.list({ name: '', admin: true }, 500, cursor ?? undefined);
              items.push(...page.items);
              cursor = page.nextCursor;
            } while (cursor);
          });
        }
        cli.print(global, table(items), items);
      }),
    )
    .hook('postAction', done);

  watches
    .command('delete')
    .description('delete a watch (its owner or an admin); its notices stay in /notices')
    .argument('<id>')
    .action(
      cli.action(async (id: string, _: unknown, command: Command) => {
        const global = globals(command);
        if (global.url) await cli.request(global, 'DELETE', `/watches/${encodeURIComponent(id)}`);
        else await onDataDir(cli, global, async (service) => usage(async () => service.remove(id, { name: '', admin: true })));
        cli.print(global, `deleted ${id}`, { id, deleted: true });
      }),
    )
    .hook('postAction', done);

  watches
    .command('notices')
    .description("a watch's notices, oldest first")
    .argument('<id>')
    .option('--after <sequence>', 'only those after this sequence number')
    .option('--limit <n>', 'at most this many', '50')
    .action(
      cli.action(async (id: string, options: { after?: string; limit: string }, command: Command) => {
        const global = globals(command);
        const query = new URLSearchParams({ limit: options.limit, ...(options.after ? { after: options.after } : {}) });
        const items = global.url
          ? ((await cli.request(global, 'GET', `/watches/${encodeURIComponent(id)}/notices?${query}`)) as { items: SequencedNotice[] }).items
          : await onDataDir(cli, global, async (service) =>
              usage(async () => service.notices(id, options.after === undefined ? undefined : BigInt(options.after), Number(options.limit))),
            );
        cli.print(global, items.map((n) => `${n.sequence}  ${n.recordedAt}  ${n.summary}`).join('\n') || 'no notices', items);
      }),
    )
    .hook('postAction', done);

  return watches;
}

/** The core on the data directory (its read models caught up to the log's head) and its watch file. */
async function onDataDir<T>(cli: Cli, options: GlobalOptions, run: (service: WatchesService) => Promise<T>): Promise<T> {
  return withCore(cli, options, async (app) => {
    const applied = app.get(AppliedPosition);
    await applied.waitFor(await app.get<EventStore>(EVENT_STORE).headPosition(), 60_000);
    const store = new WatchStore(watchesPath(cli.config(options)), keyedWatchText(app.get(ErasureService).seal, app.get(ErasureService).keys));
    try {
      const config = cli.config(options);
      return await run(new WatchesService(store, app.get(FigureQueries), app.get(TimelineQueries), applied, undefined, undefined, webhookConfig(config).allowPrivate, watchesPerKey(config)));
    } finally {
      store.close();
    }
  });
}

/** Refusals of what was asked, as every annals command ends: a bad field 2, an unknown record 5, a state that forbids it 4. */
async function usage<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DomainError) throw new CliError(error.message, error.code === 'not-found' ? EXIT.notFound : error.code === 'conflict' ? EXIT.refused : EXIT.usage);
    if (error instanceof RequestValidationError) throw new CliError(error.message, EXIT.usage);
    if (error instanceof Error && 'details' in error) throw new CliError(error.message, EXIT.refused);
    throw error;
  }
}

function table(items: readonly WatchView[]): string {
  if (items.length === 0) return 'no watches';
  const rows = items.map((w) => [
    w.id,
    w.owner,
    w.title ?? w.description,
    w.webhook ? `webhook: ${w.webhook.delivery.delivered} delivered, ${w.webhook.delivery.pending} pending, ${w.webhook.delivery.failed} failed` : '',
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
