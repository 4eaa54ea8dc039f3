import { fork } from 'node:child_process';
import { join } from 'node:path';
import { mkdirSync, renameSync, copyFileSync } from 'node:fs';
import { generateLog } from './support/data';
import { load } from './support/load';

async function start(options: object, prof: boolean) {
  const child = fork(join(__dirname, 'support', 'server.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', ...(prof ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])],
    env: { ...process.env, BENCH_SERVER: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => { child.once('exit', r); child.send({ type: 'stop' }); }) };
}

async function main() {
  const dir = '/tmp/prof/data';
  mkdirSync(dir, { recursive: true });
  await generateLog(join(dir, 'seed.db'), [10000], () => renameSync(join(dir, 'seed.db'), join(dir, 'events.db')));
  const path = process.argv[2] ?? '/timeline?asOf=2017-06-01';
  const app = await start({ kind: 'app', sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'rm.db') }, true);
  const r0 = await fetch(app.url + path); const body = Buffer.from(await r0.arrayBuffer());
  require('fs').writeFileSync(join(dir, 'answer.json'), body);
  const bare = await start({ kind: 'bare', timelineAnswerFile: join(dir, 'answer.json'), timelineAnswerAsBytes: true }, false);
  for (const [name, s] of [['app', app], ['bare', bare], ['app', app], ['bare', bare], ['app', app], ['bare', bare]] as const) {
    const res = await load(s.url, 10, 6, () => ({ method: 'GET', path }));
    console.log(name, Math.round(res.requestsPerSecond), res.p50.toFixed(2), res.meanResponseBytes);
  }
  await app.stop(); await bare.stop();
}
void main();
