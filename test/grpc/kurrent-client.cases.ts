import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import request from 'supertest';
import { GrpcEndpoint } from '../../src/grpc/grpc.module';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';

interface Step {
  step: string;
  [key: string]: unknown;
}

/**
 * @kurrent/kurrentdb-client (its Rust bridge included) against the app's gRPC endpoint. The client runs
 * in a child process: its generated protobuf code and @eventstore/db-client's, which the server is
 * built on, register the same global names and would overwrite each other in one process.
 */
describe('@kurrent/kurrentdb-client against Annals (in a child process)', () => {
  let app: NestFastifyApplication;
  let child: ChildProcessWithoutNullStreams | undefined;
  const http = () => request(app.getHttpServer());
  const recordFact = async () => `fact-${(await http().post('/facts').send(factBody()).expect(201)).body.id as string}`;

  beforeAll(async () => {
    app = await createTestApp({ grpc: { host: '127.0.0.1', port: 0 } });
  });
  afterAll(async () => {
    child?.kill();
    await app.close();
  });

  it('appends, reads a stream and $all, is refused a domain stream, and follows a filtered $all subscription into live', async () => {
    const before = [await recordFact(), await recordFact()];
    const port = app.get(GrpcEndpoint).port;
    child = spawn(process.execPath, [join(__dirname, 'kurrent-client.child.js'), `kurrentdb://127.0.0.1:${port}?tls=false`]);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const steps = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<Step> => {
      const { value, done } = await steps.next();
      if (done) throw new Error(`the child ended early: ${stderr}`);
      const step = JSON.parse(value) as Step;
      if (step.step === 'error') throw new Error(`the child failed: ${String(step.message)}`);
      return step;
    };

    expect(await next()).toEqual({ step: 'append', nextExpectedRevision: '1' });
    expect(await next()).toEqual({
      step: 'readStream',
      events: [
        { type: 'ProbeSent', revision: '0', data: { n: 1 } },
        { type: 'ProbeSent', revision: '1', data: { n: 2 } },
      ],
      lastRevision: '1',
    });
    expect(await next()).toMatchObject({ step: 'readAll', increasing: true, includesMine: true, filtered: [true, true] });
    expect(await next()).toMatchObject({ step: 'domainAppend', refused: true, type: 'access-denied' });
    expect(await next()).toEqual({ step: 'subscribed' });
    expect(await next()).toMatchObject({ step: 'caughtUp' });
    const live = [];
    for (let i = 0; i < 5; i++) live.push(await recordFact());
    child.stdin.write(`${live[live.length - 1]}\n`);
    const { seen } = (await next()) as Step & { seen: string[] };
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...before, ...live]);
  });
});
