import { spawn } from 'node:child_process';
import { Command } from 'commander';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp } from '../support/app';
import { annals, tempDir } from './run-cli';

const COMMANDS = ['serve', 'status', 'import', 'export', 'export log', 'backup', 'restore', 'rebuild'];

describe('annals command line', () => {
  it.each(COMMANDS)('answers --help for %s with its options and exit code 0', async (command) => {
    const run = await annals([...command.split(' '), '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: annals ${command}`));
  });

  it('lists every command and the exit codes in annals --help', async () => {
    const run = await annals(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['serve', 'status', 'import', 'export', 'backup', 'restore', 'rebuild']) expect(run.stdout).toContain(`  ${command}`);
    expect(run.stdout).toContain('Exit codes:');
  });

  it('takes commands built elsewhere (keys, verify) with the same help and exit codes', async () => {
    const keys = () => new Command('keys').description('manage API keys').addCommand(new Command('list').requiredOption('--role <role>'));
    const help = await annals(['keys', '--help'], {}, [keys()]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: annals keys/);
    const missing = await annals(['keys', 'list'], {}, [keys()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--role <role>'/);
  });

  it('exits 2 on a usage error, naming it on stderr, with nothing on stdout', async () => {
    const unknown = await annals(['frobnicate']);
    expect(unknown).toEqual(expect.objectContaining({ code: 2, stdout: '' }));
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const missing = await annals(['import']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'file'/);
    const { dir, remove } = tempDir();
    try {
      writeFileSync(join(dir, 'x.txt'), 'hello');
      const format = await annals(['--data-dir', dir, 'import', join(dir, 'x.txt')]);
      expect(format.code).toBe(2);
      expect(format.stderr).toMatch(/cannot tell the format/);
    } finally {
      remove();
    }
  });

  it('exits 3 when an import rejected records, and 1 when there is no data directory', async () => {
    const { dir, remove } = tempDir();
    try {
      writeFileSync(join(dir, 'f.ndjson'), `${JSON.stringify({ kind: 'figure', id: 'f', name: 'N', unit: 'people', scope: { places: [] } })}\n${JSON.stringify({ kind: 'fact', title: '' })}\n`);
      const run = await annals(['--data-dir', dir, '--json', 'import', join(dir, 'f.ndjson')]);
      expect(run.code).toBe(3);
      const summary = JSON.parse(run.stdout);
      expect(summary).toEqual(expect.objectContaining({ written: 1, rejected: 1 }));
      expect(summary.rejections[0]).toEqual(expect.objectContaining({ at: 'line 2', kind: 'fact', field: 'title' }));
      const none = await annals(['--data-dir', join(dir, 'nowhere'), 'status']);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/no event log/);
    } finally {
      remove();
    }
  });

  it('rebuilds a data directory and reports the read models in status', async () => {
    const { dir, remove } = tempDir();
    try {
      writeFileSync(join(dir, 'f.ndjson'), `${JSON.stringify({ kind: 'figure', id: 'f', name: 'N', unit: 'people', scope: { places: [] } })}\n`);
      await annals(['--data-dir', dir, 'import', join(dir, 'f.ndjson')]);
      const rebuild = await annals(['--data-dir', dir, '--json', 'rebuild', '--progress']);
      expect(rebuild.code).toBe(0);
      expect(rebuild.stderr).toContain('rebuilding [');
      expect(JSON.parse(rebuild.stdout)).toEqual(expect.objectContaining({ position: '1', lag: '0', lastRebuild: expect.objectContaining({ error: null }) }));
      const status = JSON.parse((await annals(['--data-dir', dir, '--json', 'status'])).stdout);
      expect(status).toEqual({
        store: expect.objectContaining({ kind: 'sqlite', headPosition: '1' }),
        readModels: expect.objectContaining({ path: JSON.parse(rebuild.stdout).file, position: '1', lag: '0', lagSeconds: 0, current: true }),
      });
    } finally {
      remove();
    }
  });

  describe('against a running server (--url)', () => {
    let app: NestFastifyApplication;
    let url: string;
    beforeAll(async () => {
      app = await createTestApp();
      await app.listen(0, '127.0.0.1');
      url = await app.getUrl();
    });
    afterAll(async () => {
      await app.close();
    });

    it('imports, exports the log, rebuilds and reports status', async () => {
      const { dir, remove } = tempDir();
      try {
        const file = join(dir, 'figures.csv');
        writeFileSync(file, 'id,name,unit,places\ndeaths,Civilian deaths,people,Iraq; Syria\n');
        const imported = await annals(['--url', url, '--json', 'import', file]);
        expect(imported.stderr).toBe('');
        expect(JSON.parse(imported.stdout)).toEqual(expect.objectContaining({ written: 1, recorded: 1 }));
        const log = (await annals(['--url', url, 'export', 'log'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
        expect(log).toEqual([expect.objectContaining({ position: '1', type: 'FigureDefined', metadata: expect.objectContaining({ actor: 'anonymous' }) })]);
        const rebuilt = await annals(['--url', url, '--json', 'rebuild']);
        expect(rebuilt.code).toBe(0);
        expect(JSON.parse(rebuilt.stdout).lastRebuild.error).toBeNull();
        const status = await annals(['--url', url, 'status']);
        expect(status.code).toBe(0);
        expect(status.stdout).toMatch(/projections: up .*"position":"1"/);
      } finally {
        remove();
      }
    });
  });
});

describe('annals export views on a data directory', () => {
  it('exports the demo timeline as TimelineJS and a figure as CSV, refusing a bad --as-of with exit 2', async () => {
    const { dir, remove } = tempDir();
    try {
      expect((await annals(['--data-dir', dir, 'import', 'data/demo.json'])).code).toBe(0);
      const timeline = await annals(['--data-dir', dir, 'export', 'timeline', '--format', 'timelinejs', '--as-of', '2016-12-31']);
      expect(timeline.code).toBe(0);
      expect(JSON.parse(timeline.stdout).events.map((e: { unique_id: string }) => e.unique_id)).toEqual(['us-led-coalition-formed', 'centcom-votel-tenure']);
      const claims = await annals(['--data-dir', dir, 'export', 'claims', 'coalition-strikes']);
      expect(claims.stdout.split('\n')[0]).toMatch(/^figure_id,id,claimant,value_kind,value,min,max,qualifier,asserted_on,period_from,period_to,confidence_level,/);
      expect(claims.stdout.trim().split('\n')).toHaveLength(3);
      const bad = await annals(['--data-dir', dir, 'export', 'claims', 'coalition-strikes', '--as-of', 'March 2019']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('asOf must be a day written YYYY-MM-DD');
    } finally {
      remove();
    }
  });
});

describe('a data directory a server is serving', () => {
  it('refuses to project into it from the command line (exit 4), pointing to --url', async () => {
    const { dir, remove } = tempDir();
    const server = spawn('sleep', ['30']);
    try {
      writeFileSync(join(dir, 'read-models.db.pid'), String(server.pid));
      writeFileSync(join(dir, 'f.ndjson'), `${JSON.stringify({ kind: 'figure', id: 'f', name: 'N', unit: 'people', scope: { places: [] } })}\n`);
      const run = await annals(['--data-dir', dir, 'import', join(dir, 'f.ndjson')]);
      expect(run.code).toBe(4);
      expect(run.stderr).toContain(`a server (pid ${server.pid}) serves`);
      server.kill();
      await new Promise((resolve) => server.once('exit', resolve));
      expect((await annals(['--data-dir', dir, 'import', join(dir, 'f.ndjson')])).code).toBe(0);
    } finally {
      server.kill();
      remove();
    }
  });
});
