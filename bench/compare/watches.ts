import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { median } from '../stats';
import { runMain } from '../support/main';
import { pairReport, span, type PhaseFigures } from '../watches-profile';

/**
 * Row 6's first figure (claims reaching no watch: 10,000 watches against none) for two source trees in
 * the same run: each tree's bench/watches-profile.ts --serve sets up its own app (the data and watches
 * of bench/watches.ts), then phases run one at a time, tree after tree, a pair (with, none) each in
 * turn, the orders reversed every other round (ABBA). Per tree: the ratios of each pair (writes/s and
 * CPU time per write, with / none); across trees: b / a of the same figures. A tree of older code needs
 * bench/watches.ts and bench/watches-profile.ts of this one copied in (they only drive its app).
 *
 *   npx ts-node --transpile-only bench/compare/watches.ts <tree-a> <tree-b> [pairs] [seconds]
 */
interface Tree {
  readonly name: string;
  readonly child: ChildProcess;
  readonly runs: PhaseFigures[];
}

function start(root: string, name: string): Promise<Tree> {
  const child = fork(join(resolve(root), 'bench/watches-profile.ts'), ['--serve'], {
    cwd: resolve(root),
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // Nest's start-up log lines say nothing here; the bench's own lines are kept, named by tree.
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() && !line.includes('[Nest]')) console.log(`${name}: ${line.trim()}`);
  });
  return new Promise((done, fail) => {
    child.once('message', () => done({ name, child, runs: [] }));
    child.once('exit', (code) => fail(new Error(`tree ${name} (${root}) ended with ${code} before it was ready`)));
  });
}

function phase(tree: Tree, watched: boolean, seconds: number, label: string): Promise<PhaseFigures> {
  return new Promise((done) => {
    tree.child.once('message', (figures: PhaseFigures) => done(figures));
    tree.child.send({ watched, seconds, label });
  });
}

async function main(): Promise<void> {
  const [a, b, pairs = '5', seconds = '4'] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: bench/compare/watches.ts <tree-a> <tree-b> [pairs] [seconds]');
  const trees = await Promise.all([start(a, 'a'), start(b, 'b')]);
  try {
    for (let round = 0; round < Number(pairs); round++) {
      for (const tree of round % 2 === 0 ? trees : [...trees].reverse()) {
        const order = round % 2 === 0 ? [true, false] : [false, true];
        const figures: PhaseFigures[] = [];
        for (const watched of order) figures.push(await phase(tree, watched, Number(seconds), `round ${round + 1}, ${watched ? '10,000 watches' : 'no watches'}`));
        tree.runs.push(...figures.sort((x, y) => Number(y.watched) - Number(x.watched)));
      }
    }
    console.log(`\n${pairs} rounds, ${seconds} s a phase; a = ${a}, b = ${b}`);
    for (const tree of trees) console.log(`\ntree ${tree.name}:\n${pairReport(tree.runs)}`);
    const [ta, tb] = trees;
    const of = (tree: Tree, watched: boolean, key: 'writesPerSecond' | 'cpuPerWrite' | 'enginePerWrite') => tree.runs.filter((x) => x.watched === watched).map((x) => x[key]);
    const ratioOf = (key: 'writesPerSecond' | 'cpuPerWrite') => (tree: Tree) => of(tree, true, key).map((w, i) => w / of(tree, false, key)[i]);
    const cross = (values: (tree: Tree) => number[]) => values(tb).map((v, i) => v / values(ta)[i]);
    console.log(`\nb / a, per round (median, min–max):`);
    console.log(`  writes/s ratio (with / none): ${span(cross(ratioOf('writesPerSecond')))}`);
    console.log(`  CPU-per-write ratio (with / none): ${span(cross(ratioOf('cpuPerWrite')))}`);
    console.log(`  CPU per write with the watches: ${span(cross((t) => of(t, true, 'cpuPerWrite')))}; without: ${span(cross((t) => of(t, false, 'cpuPerWrite')))}`);
    console.log(`  the engine's evaluation per write with the watches: ${span(cross((t) => of(t, true, 'enginePerWrite')))}`);
    const share = (tree: Tree) => tree.runs.filter((x) => x.watched).map((x) => (100 * x.enginePerWrite * x.writesPerSecond) / 1e6);
    console.log(`  the engine's share of the phase's time with the watches (%): a ${span(share(ta), 1)}, b ${span(share(tb), 1)}`);
    console.log(`  medians of the per-tree ratios: a ${median(ratioOf('writesPerSecond')(ta)).toFixed(2)} / CPU ${median(ratioOf('cpuPerWrite')(ta)).toFixed(2)}, b ${median(ratioOf('writesPerSecond')(tb)).toFixed(2)} / CPU ${median(ratioOf('cpuPerWrite')(tb)).toFixed(2)}`);
  } finally {
    for (const tree of trees) tree.child.send({ stop: true });
    await Promise.all(trees.map((tree) => new Promise((done) => (tree.child.exitCode !== null ? done(null) : tree.child.once('exit', done)))));
  }
}

runMain(main);
