import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ShellBlock {
  readonly file: string;
  /** The line of the opening fence, 1-based. */
  readonly line: number;
  readonly code: string;
  /** Why the block is not run, from a `<!-- not run: … -->` comment just above it; empty when it runs. */
  readonly notRun: string;
}

/** README.md and every page under docs/, as paths relative to the repository. */
export function docPages(root: string): string[] {
  const pages = ['README.md'];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.md')) pages.push(join(dir, entry.name));
    }
  };
  walk('docs');
  return pages;
}

const FENCE = /^```(bash|sh|shell|console)\s*$/;
const NOT_RUN = /^<!--\s*not run:\s*(.*?)\s*-->$/;

/** The fenced bash/sh blocks of one Markdown page, in order. */
export function shellBlocks(file: string, text: string): ShellBlock[] {
  const lines = text.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i])) continue;
    const start = i;
    const code: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) code.push(lines[i]);
    const transcript = FENCE.exec(lines[start])?.[1] === 'console';
    let above = start - 1;
    while (above >= 0 && lines[above].trim() === '') above--;
    const notRun = above >= 0 ? NOT_RUN.exec(lines[above].trim())?.[1] ?? '' : '';
    blocks.push({ file, line: start + 1, code: transcript ? transcriptScript(code) : code.join('\n'), notRun });
  }
  return blocks;
}

/**
 * A `console` block is a transcript: `$ ` lines are commands, the rest what they printed (not compared:
 * it holds ids and times). A `[exit N]` line under a command is its exit code; without one it must be 0.
 */
export function transcriptScript(lines: readonly string[]): string {
  const commands: { command: string; exit: number }[] = [];
  for (const line of lines) {
    if (line.startsWith('$ ')) commands.push({ command: line.slice(2).replace(/^npx annals\b/, 'annals'), exit: 0 });
    const exit = /^\[exit (\d+)\]$/.exec(line.trim());
    if (exit && commands.length > 0) commands[commands.length - 1].exit = Number(exit[1]);
  }
  return commands
    .map(({ command, exit }) => `set +e\n${command}\ncode=$?\nset -e\n[ "$code" = ${exit} ] || { echo "exit $code, the docs say ${exit}: ${command.replace(/["`$\\]/g, '\\$&')}" >&2; exit 1; }`)
    .join('\n');
}
