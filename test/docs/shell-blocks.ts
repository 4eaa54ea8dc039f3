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

const FENCE = /^```(bash|sh|shell)\s*$/;
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
    let above = start - 1;
    while (above >= 0 && lines[above].trim() === '') above--;
    const notRun = above >= 0 ? NOT_RUN.exec(lines[above].trim())?.[1] ?? '' : '';
    blocks.push({ file, line: start + 1, code: code.join('\n'), notRun });
  }
  return blocks;
}
