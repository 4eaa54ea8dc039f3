import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { Importer, type ImportSummary, type RecordKind } from '../../import/importer';
import { formatOfFile, readRecords, RECORD_KINDS, UnreadableFileError } from '../../import/read-records';
import { CliError, EXIT, globals, withCore, type Cli } from '../cli';

interface ImportOptions {
  format?: string;
  kind?: RecordKind;
  sync?: boolean;
  dryRun?: boolean;
  actor: string;
  reason?: string;
  progress?: boolean;
}

export function registerImport(program: Command, cli: Cli): void {
  program
    .command('import')
    .description('import facts, figures and claims from JSON, NDJSON or CSV through the write path (each record all or nothing)')
    .argument('<file>', 'the file to import (.json, .ndjson, .csv)')
    .option('--format <format>', 'json, ndjson or csv (default: from the file name)')
    .option('--kind <kind>', `for CSV: ${RECORD_KINDS.join(', ')} (default: from the header)`)
    .option('--sync', 'write the differences from the stored record: corrections, new claims, and retractions of what the file no longer holds')
    .option('--dry-run', 'decide every record against the stored state and report, writing nothing')
    .option('--actor <name>', 'who the events are attributed to (on a data directory; with --url, the key\'s name)', process.env.ANNALS_ACTOR ?? 'annals-import')
    .option('--reason <text>', 'the reason recorded on corrections and retractions (default: "sync from <file>")')
    .option('--progress', 'show the progress bar even when stderr is not a terminal')
    .addHelpText(
      'after',
      '\nExamples:\n  annals import claims.csv --dry-run\n  annals import claims.csv --sync --actor desk-jane --reason "weekly sheet"\n  annals --url http://localhost:3000 --key $KEY import facts.ndjson',
    )
    .action(
      cli.action(async (file: string, options: ImportOptions, command: Command) => {
        const global = globals(command);
        if (options.kind && !RECORD_KINDS.includes(options.kind)) throw new CliError(`--kind must be one of ${RECORD_KINDS.join(', ')}`, EXIT.usage);
        let text: string;
        let format;
        try {
          format = formatOfFile(file, options.format);
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new CliError(error instanceof Error ? error.message : String(error), EXIT.usage);
        }
        const reason = options.reason ?? (options.sync ? `sync from ${file.split('/').pop()}` : undefined);
        let summary: ImportSummary;
        if (global.url) {
          const query = new URLSearchParams({ format, ...(options.kind ? { kind: options.kind } : {}), ...(options.sync ? { sync: 'true' } : {}), ...(options.dryRun ? { dryRun: 'true' } : {}), ...(reason ? { reason } : {}) });
          const type = { csv: 'text/csv', ndjson: 'application/x-ndjson', json: 'application/vnd.annals.import+json' }[format];
          summary = (await cli.request(global, 'POST', `/admin/import?${query}`, text, type)) as ImportSummary;
        } else {
          let read;
          try {
            read = readRecords(text, format, options.kind);
          } catch (error) {
            if (error instanceof UnreadableFileError) throw new CliError(`${file}: ${error.message}`, EXIT.usage);
            throw error;
          }
          const bar = options.progress || cli.io.stderr.isTTY ? progressBar(cli, Boolean(options.progress)) : undefined;
          bar?.start(read.records.length, 0);
          try {
            summary = await withCore(cli, global, (app) =>
              app.get(Importer).run(read.records, { actor: options.actor, reason, sync: options.sync, dryRun: options.dryRun, onProgress: (done) => bar?.update(done) }, read.unreadable),
            );
          } finally {
            bar?.stop();
          }
        }
        cli.print(global, describe(summary), summary);
        return summary.rejected > 0 ? EXIT.rejected : EXIT.ok;
      }),
    );
}

function progressBar(cli: Cli, forced: boolean): SingleBar {
  return new SingleBar({
    stream: cli.io.stderr as NodeJS.WriteStream,
    format: 'importing [{bar}] {percentage}% {value}/{total} records, eta {eta_formatted}',
    noTTYOutput: forced,
    notTTYSchedule: 500,
    hideCursor: true,
  });
}

export function describe(summary: ImportSummary): string {
  const verb = summary.dryRun ? 'would write' : 'written';
  const lines = [
    `${verb} ${summary.written} (recorded ${summary.recorded}, corrected ${summary.corrected}, retracted ${summary.retracted}) · unchanged ${summary.unchanged} · rejected ${summary.rejected}`,
    ...summary.rejections.map((r) => `  ${r.at} (${r.kind}${r.id ? ` ${r.id}` : ''}): ${r.field}: ${r.reason}`),
  ];
  if (summary.retractionsSkipped) lines.push(`  retractions skipped: ${summary.retractionsSkipped}`);
  return lines.join('\n');
}
