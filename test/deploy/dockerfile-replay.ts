import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';

/**
 * Replays a Dockerfile without a container engine: each stage gets a directory standing for its
 * filesystem root, COPY copies from a clean build context (tracked files minus .dockerignore), RUN
 * runs the command there with the stage's ENV. What cannot run without root or a network is
 * skipped with a printed reason, never silently.
 */

export interface Step {
  readonly instruction: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string;
  readonly base: string;
  readonly steps: Step[];
}

/** Instructions, continuation lines joined and comments dropped (Docker drops them inside continuations too). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    if (/^\s*#/.test(raw)) return;
    if (pending === '' && raw.trim() === '') return;
    if (pending === '') startLine = index + 1;
    const continued = /\\\s*$/.test(raw);
    pending += `${continued ? raw.replace(/\\\s*$/, '') : raw} `;
    if (continued) return;
    const match = /^\s*(\w+)\s+([\s\S]*?)\s*$/.exec(pending);
    pending = '';
    if (!match) throw new Error(`Dockerfile line ${startLine}: cannot read it`);
    const instruction = match[1].toUpperCase();
    const args = match[2].replace(/\s+/g, ' ');
    if (instruction === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${startLine}: FROM ${args}`);
      stages.push({ name: from[2] ?? String(stages.length), base: from[1], steps: [] });
      return;
    }
    if (stages.length === 0) throw new Error(`Dockerfile line ${startLine}: ${instruction} before FROM`);
    stages[stages.length - 1].steps.push({ instruction, args, line: startLine });
  });
  return stages;
}

/** `git ls-files` of the repository, copied into `into`, minus what .dockerignore excludes: what a clean checkout sends to `docker build`. */
export function cleanContext(repo: string, into: string): string[] {
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
  const ignore = existsSync(join(repo, '.dockerignore')) ? dockerignore(readFileSync(join(repo, '.dockerignore'), 'utf8')) : () => false;
  const copied: string[] = [];
  for (const file of tracked) {
    // A tracked file deleted in the work tree is not in a clean checkout of what will be committed either.
    if (ignore(file) || !existsSync(join(repo, file))) continue;
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(repo, file), join(into, file));
    copied.push(file);
  }
  return copied;
}

/** Docker's rules, as far as Annals' file uses them: patterns anchored at the context root, `*`, `**`, `!` exceptions; a match covers everything below it. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('**')
        .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
        .join('.*');
      return { negate, regex: new RegExp(`^${source}(/.*)?$`) };
    });
  return (path) => rules.reduce((ignored, rule) => (rule.regex.test(path) ? !rule.negate : ignored), false);
}

export interface StageState {
  readonly root: string;
  workdir: string;
  user: string;
  env: Record<string, string>;
  cmd?: string[];
  healthcheck?: string[];
  /** Absolute paths the image declares (WORKDIR, VOLUME, ENV): RUN commands that name them act inside the stage root. */
  readonly declared: Set<string>;
}

export interface ReplayOptions {
  readonly context: string;
  readonly work: string;
  /** An installed node_modules to copy where the Dockerfile runs `npm ci`, and why. */
  readonly nodeModules?: { readonly path: string; readonly why: string };
  /**
   * A build of the same inputs made already (the checkout's dist/, built once per test run): where the
   * Dockerfile runs `npm run build`, its output is copied instead, but only when `inputsOf` the stage's
   * directory equal `from` (the hash the build was made from); otherwise the stage builds for real.
   */
  readonly prebuilt?: { readonly dist: string; readonly from: string; readonly inputsOf: (dir: string) => string };
  readonly log: (line: string) => void;
}

export function replay(stages: readonly Stage[], options: ReplayOptions): Map<string, StageState> {
  const states = new Map<string, StageState>();
  for (const stage of stages) {
    const base = states.get(stage.base);
    const root = join(options.work, `stage-${stage.name}`);
    if (base) cpSync(base.root, root, { recursive: true });
    else mkdirSync(root, { recursive: true });
    const state: StageState = base
      ? { ...base, root, env: { ...base.env }, declared: new Set(base.declared) }
      : { root, workdir: '/', user: 'root', env: {}, declared: new Set() };
    for (const step of stage.steps) apply(step, state, states, options);
    states.set(stage.name, state);
  }
  return states;
}

function apply(step: Step, state: StageState, states: Map<string, StageState>, options: ReplayOptions): void {
  const where = `Dockerfile line ${step.line}: ${step.instruction}`;
  switch (step.instruction) {
    case 'WORKDIR':
      state.workdir = isAbsolute(step.args) ? step.args : join(state.workdir, step.args);
      state.declared.add(state.workdir);
      mkdirSync(inStage(state, state.workdir), { recursive: true });
      return;
    case 'ENV':
      for (const [, key, quoted, bare] of step.args.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) {
        state.env[key] = quoted ?? bare;
        if (state.env[key].startsWith('/')) state.declared.add(state.env[key]);
      }
      return;
    case 'VOLUME':
      for (const path of jsonOrWords(step.args)) state.declared.add(path);
      return;
    case 'USER':
      state.user = step.args;
      return;
    case 'COPY':
      return copy(step, state, states, options.context, where);
    case 'RUN':
      return run(step.args, state, options, where);
    case 'CMD':
      state.cmd = jsonOrWords(step.args);
      return;
    case 'HEALTHCHECK': {
      const cmd = /\bCMD\s+(.*)$/.exec(step.args);
      state.healthcheck = cmd ? jsonOrWords(cmd[1]) : undefined;
      return;
    }
    case 'EXPOSE':
    case 'LABEL':
    case 'ARG':
      return;
    default:
      throw new Error(`${where}: the replay does not know this instruction; teach test/deploy/dockerfile-replay.ts`);
  }
}

function copy(step: Step, state: StageState, states: Map<string, StageState>, context: string, where: string): void {
  const words = step.args.split(' ');
  let fromRoot = context;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() as string;
    const from = /^--from=(.+)$/.exec(flag);
    if (from) {
      const source = states.get(from[1]);
      if (!source) throw new Error(`${where}: no earlier stage ${from[1]}`);
      fromRoot = source.root;
    } else if (!flag.startsWith('--chown=')) throw new Error(`${where}: unknown flag ${flag}`);
  }
  const sources = words.slice(0, -1);
  const dest = words[words.length - 1];
  const target = inStage(state, dest);
  const intoDir = dest.endsWith('/') || sources.length > 1;
  for (const source of sources) {
    if (/[*?[]/.test(source)) throw new Error(`${where}: wildcards are not replayed; name the files`);
    const from = join(fromRoot, source);
    if (!existsSync(from)) {
      throw new Error(`${where} ${source}: not there (${fromRoot === context ? 'not a tracked file, or excluded by .dockerignore' : 'the earlier stage did not make it'})`);
    }
    // As Docker: a directory's contents go to the destination; a file goes into it when it is a directory.
    const to = statSync(from).isDirectory() || !intoDir ? target : join(target, source.split('/').pop() as string);
    mkdirSync(statSync(from).isDirectory() ? to : dirname(to), { recursive: true });
    if (statSync(from).isDirectory() && basename(from) === 'node_modules') linkTree(from, to, where);
    else cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * A copy of a node_modules tree made of hard links (cp -al): seconds instead of minutes for 400 MB of small
 * files. npm prune only unlinks in it, which never touches the original; the one file npm rewrites in place,
 * its hidden lockfile, is made a real copy first. Falls back to a real copy across file systems.
 */
function linkTree(from: string, to: string, where: string): void {
  mkdirSync(to, { recursive: true });
  let copied = spawnSync('cp', ['-al', `${from}/.`, to], { encoding: 'utf8' });
  if (copied.status !== 0) copied = spawnSync('cp', ['-a', `${from}/.`, to], { encoding: 'utf8' });
  if (copied.status !== 0) throw new Error(`${where}: copying ${from} failed: ${copied.stderr}`);
  const hidden = join(to, '.package-lock.json');
  if (existsSync(hidden)) {
    const text = readFileSync(hidden);
    rmSync(hidden);
    writeFileSync(hidden, text);
  }
}

function run(command: string, state: StageState, options: ReplayOptions, where: string): void {
  const cwd = inStage(state, state.workdir);
  for (const raw of command.split('&&')) {
    const segment = raw.trim();
    if (/^(apt-get|rm -rf \/var\/lib\/apt)/.test(segment)) {
      options.log(`${where}: skipped \`${segment.slice(0, 60)}…\`: system packages need root and a network; this host's node, python3, make and g++ stand in`);
      continue;
    }
    if (/^npm ci\b/.test(segment) && options.nodeModules) {
      options.log(`${where}: \`${segment}\` replaced by a copy of ${options.nodeModules.path}: ${options.nodeModules.why}`);
      linkTree(options.nodeModules.path, join(cwd, 'node_modules'), where);
      continue;
    }
    if (/^npm run build$/.test(segment) && options.prebuilt) {
      const { dist, from, inputsOf } = options.prebuilt;
      if (inputsOf(cwd) === from) {
        options.log(`${where}: \`${segment}\` ran once for this test run in the checkout (scripts/ensure-build.js): the inputs this stage holds hash to those ${dist} was built from, so its output is copied`);
        // Its stamp is ensure-build's, not the build's: an image built by Docker has none.
        cpSync(dist, join(cwd, 'dist'), { recursive: true, filter: (path) => basename(path) !== '.build-stamp' });
        continue;
      }
      options.log(`${where}: \`${segment}\` runs here: the inputs this stage holds differ from those ${dist} was built from`);
    }
    const chown = /^chown (\S+?)(?::\S+)? /.exec(segment);
    if (chown && spawnSync('id', ['-u', chown[1]], { stdio: 'ignore' }).status !== 0) {
      options.log(`${where}: skipped \`${segment}\`: user ${chown[1]} exists in the base image, not on this host`);
      continue;
    }
    const result = spawnSync('sh', ['-c', mapDeclared(segment, state)], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...state.env },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`${where} \`${segment}\` exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
}

/** `/data` in `mkdir -p /data` means the stage's /data, not the host's. */
function mapDeclared(segment: string, state: StageState): string {
  let mapped = segment;
  for (const path of [...state.declared].sort((a, b) => b.length - a.length)) {
    const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    mapped = mapped.replace(new RegExp(`(^|[\\s='":])${escaped}(?=$|[\\s/'":])`, 'g'), `$1${join(state.root, path)}`);
  }
  return mapped;
}

export function inStage(state: StageState, path: string): string {
  return join(state.root, isAbsolute(path) ? path : join(state.workdir, path));
}

function jsonOrWords(args: string): string[] {
  return args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.trim().split(' ');
}
