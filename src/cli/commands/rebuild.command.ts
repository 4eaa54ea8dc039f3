import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ReadModels, type ProjectionStatus, type RebuildStatus } from '../../projections/read-models';
import { CliError, EXIT, globals, withCore, type Cli } from '../cli';

export function registerRebuild(program: Command, cli: Cli): void {
  program
    .command('rebuild')
    .description('rebuild the read models from the log into a new file and swap them in; a running server (--url) keeps answering meanwhile')
    .option('--no-wait', 'with --url: start the rebuild and return (follow it with `annals status`)')
    .option('--progress', 'show the progress bar even when stderr is not a terminal')
    .addHelpText('after', '\nExamples:\n  annals --data-dir .annals rebuild\n  annals --url http://localhost:3000 --key $ADMIN_KEY rebuild')
    .action(
      cli.action(async (options: { wait: boolean; progress?: boolean }, command: Command) => {
        const global = globals(command);
        const bar = options.progress || cli.io.stderr.isTTY ? progressBar(cli, Boolean(options.progress)) : undefined;
        if (global.url) {
          const started = ((await cli.request(global, 'POST', '/admin/rebuild')) as { rebuild: RebuildStatus }).rebuild;
          if (!options.wait) {
            cli.print(global, `rebuild started at ${started.startedAt}`, started);
            return;
          }
          const result = await follow(bar, async () => {
            const health = (await cli.request(global, 'GET', '/health')) as { details?: { projections?: ProjectionStatus } };
            return health.details?.projections;
          }, started.startedAt);
          return report(cli, global, result);
        }
        const result = await withCore(cli, global, async (app) => {
          const models = app.get(ReadModels);
          const { done } = models.rebuild();
          const finished = follow(bar, () => models.status(), '');
          await done;
          return finished;
        });
        return report(cli, global, result);
      }),
    );
}

/** Polls the projection status until the rebuild is over, moving the bar. */
async function follow(bar: SingleBar | undefined, status: () => Promise<ProjectionStatus | undefined>, startedAt: string): Promise<ProjectionStatus> {
  bar?.start(1000, 0);
  try {
    for (;;) {
      const now = await status();
      if (!now) throw new CliError('the server reports no projection status', EXIT.failed);
      if (now.rebuild) bar?.update(Math.round(now.rebuild.progress * 1000));
      else if (now.lastRebuild && now.lastRebuild.finishedAt >= startedAt) {
        bar?.update(1000);
        return now;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    bar?.stop();
  }
}

function report(cli: Cli, global: { json?: boolean }, status: ProjectionStatus) {
  if (status.lastRebuild?.error) throw new CliError(`rebuild failed: ${status.lastRebuild.error}`, EXIT.failed);
  cli.print(global, `rebuilt the read models into ${status.file} (position ${status.position}, lag ${status.lag})`, status);
  return EXIT.ok;
}

function progressBar(cli: Cli, forced: boolean): SingleBar {
  return new SingleBar({
    stream: cli.io.stderr as NodeJS.WriteStream,
    format: 'rebuilding [{bar}] {percentage}%',
    noTTYOutput: forced,
    notTTYSchedule: 500,
  });
}
