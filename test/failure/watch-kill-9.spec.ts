import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { claimBody, figureBody } from '../support/factories';
import { startService, type ServiceProcess } from '../support/service-process';
import { eventually, Receiver } from '../support/watches';

/**
 * kill -9 of the real service (a child process on a data directory) while corrections change a
 * watched answer and the watch engine records notices. After a restart on the same files, the
 * notices form one unbroken chain from the answer the watch was created with to the answer the
 * figure gives now (each notice's before is the previous one's after): none lost, none twice.
 * Changes the kill caught before their notice was committed may be told in one notice; that is
 * the point of evaluating again from the last committed position. The webhook receiver, down
 * before the kill, gets every notice once it is up, each verified.
 */
const WRITES = 30;

interface Notice {
  id: string;
  sequence: string;
  beforeHash: string;
  afterHash: string;
}

describe('watches under kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annals-watch-kill-'));
  const receivers: Receiver[] = [];
  let service: ServiceProcess | undefined;
  afterAll(async () => {
    service?.child.kill('SIGKILL');
    for (const receiver of receivers) await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps an unbroken chain of notices and delivers each one', async () => {
    const env = { ANNALS_WEBHOOK_RETRY_BASE_MS: '20', ANNALS_WEBHOOK_RETRY_MAX_MS: '100', ANNALS_WEBHOOK_MAX_ATTEMPTS: '100000', ANNALS_WEBHOOK_ALLOW_PRIVATE: 'true' };
    const probe = await new Receiver().start();
    const port = Number(new URL(probe.url).port);
    await probe.stop();
    const receiver = new Receiver(port);
    receivers.push(receiver);

    service = await startService(dir, env);
    const post = async (base: string, path: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
      return answer;
    };
    const figure = figureBody();
    await post(service.base, '/figures', figure);
    const claim = claimBody({ assertedOn: '2019-02-15', period: undefined });
    await post(service.base, `/figures/${figure.id}/claims`, claim);
    const created = (await post(service.base, '/watches', { kind: 'figure', figureId: figure.id, asOf: '2019-03-28', webhookUrl: receiver.url })) as {
      watch: { id: string; answerHash: string };
      webhook: { secret: string };
    };

    // Corrections from several clients at once; the kill lands right after the last is acknowledged.
    let next = 0;
    const correct = async () => {
      while (next < WRITES) {
        const value = next++;
        await post(service!.base, `/figures/${figure.id}/claims/${claim.id}/corrections`, { reason: `count ${value}`, changes: { value: { kind: 'exact', value: 1000 + value } } });
      }
    };
    await Promise.all([correct(), correct(), correct()]);
    service.child.kill('SIGKILL');
    await service.exited;

    await receiver.start();
    service = await startService(dir, env);
    const base = service.base;
    const current = await eventually(async () => {
      const answer = (await (await fetch(`${base}/watches/${created.watch.id}`)).json()) as { answer: { claims: { value: { value: number } }[] }; watch: { answerHash: string } };
      return answer.answer.claims[0]?.value.value === 1000 + WRITES - 1 ? answer : undefined;
    }, 'the watch to hold the last correction');
    const { items } = (await (await fetch(`${base}/watches/${created.watch.id}/notices?after=0&limit=500`)).json()) as { items: Notice[] };
    expect(items.length).toBeGreaterThan(0);
    let hash = created.watch.answerHash;
    for (const notice of items) {
      expect(notice.beforeHash).toBe(hash);
      expect(notice.afterHash).not.toBe(notice.beforeHash);
      hash = notice.afterHash;
    }
    expect(hash).toBe(current.watch.answerHash);

    const delivered = await eventually(() => (receiver.received.length >= items.length ? receiver.received : undefined), 'every notice at the webhook', 20_000);
    const ids = delivered.map((d) => (new Webhook(created.webhook.secret).verify(d.body, d.headers as Record<string, string>) as { data: { id: string } }).data.id);
    expect(new Set(ids)).toEqual(new Set(items.map((n) => n.id)));
    console.log(`watch kill -9: ${WRITES} corrections, ${items.length} notices in one chain after the restart, ${delivered.length} deliveries`);
  }, 120_000);
});
