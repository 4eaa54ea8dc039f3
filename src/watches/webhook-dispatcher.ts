import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { EngineLogger } from './watch-engine';
import type { Delivery, DeliveryStore } from './watch-store';
import { privateTargetRefusal, publicOnlyLookup } from './webhook-target';

export interface WebhookConfig {
  /** The first retry waits this long, each next one twice as long (with up to 20% jitter)... */
  readonly retryBaseMs: number;
  /** ...but never longer than this. */
  readonly retryMaxMs: number;
  /** Attempts before a delivery is given up (marked failed; the notice stays in the feeds). */
  readonly maxAttempts: number;
  /** A receiver that has not answered in this long counts as a failed attempt. */
  readonly timeoutMs: number;
  /** Deliver to loopback, private and reserved addresses too (ANNALS_WEBHOOK_ALLOW_PRIVATE): only where every watch creator is trusted with the service's network. */
  readonly allowPrivate: boolean;
}

/** Beside a shared engine (shared-watches.ts): secrets are stored sealed, and only the lease holder sends. */
export interface DispatchOptions {
  /** The signing secret in clear from what the outbox holds (throws: it cannot be opened here). */
  readonly secretOf?: (stored: string) => string;
  /** Checked just before each POST: false leaves the delivery as it is, for whoever holds the lease. */
  readonly mayDeliver?: () => boolean;
}

/** The event type of a notice's webhook body, `{type, timestamp, data}` as Standard Webhooks suggests. */
export const NOTICE_EVENT_TYPE = 'watch.answer-changed';

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64, shown once at creation. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The body a receiver gets; its bytes are what the signature covers. */
export function webhookBody(notice: string, recordedAt: string): string {
  return `{"type":${JSON.stringify(NOTICE_EVENT_TYPE)},"timestamp":${JSON.stringify(recordedAt)},"data":${notice}}`;
}

/**
 * Delivers the outbox: every notice of a watch with a webhook, POSTed and signed per the Standard
 * Webhooks specification (webhook-id: the notice's id, the same on every retry so that a receiver
 * can drop a repeat; webhook-timestamp; webhook-signature `v1,<base64 HMAC-SHA256 of id.timestamp.body>`),
 * through the reference library `standardwebhooks`. A 2xx answer delivers it; anything else is
 * retried with exponential backoff. The outbox lives in the watch file, so a restart resumes it:
 * delivery is at least once (a crash between the receiver's 2xx and the mark sends it again).
 * Redirects are not followed, and unless private targets are allowed, a URL whose host is (or
 * resolves, at connection time, to) a private, loopback or reserved address is refused.
 */
export class WebhookDispatcher {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private readonly inFlight = new Set<string>();
  /** Cuts deliveries in flight short at shutdown; they are retried at the next start. */
  private readonly abort = new AbortController();

  constructor(
    private readonly store: DeliveryStore,
    private readonly config: WebhookConfig,
    private readonly logger: EngineLogger,
    private readonly options: DispatchOptions = {},
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake();
    await this.loop;
  }

  /** New rows are in the outbox: look now rather than at the next due time. */
  wake(): void {
    if (!this.pause) return;
    clearTimeout(this.pause.timer);
    const { resolve } = this.pause;
    this.pause = undefined;
    resolve();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.options.mayDeliver && !this.options.mayDeliver()) {
          // The lease is being renewed or was lost: its holder (this replica again, or another) sends.
          await this.sleep(250);
          continue;
        }
        const due = this.store.due(Date.now(), 50).filter((d) => !this.inFlight.has(d.noticeId));
        if (due.length > 0) {
          await Promise.all(due.map((d) => this.deliver(d)));
          continue;
        }
        const next = this.store.nextDue();
        await this.sleep(next === undefined ? 60_000 : Math.max(0, Math.min(60_000, next - Date.now())));
      } catch (error) {
        this.logger.error(`webhook delivery failed: ${error instanceof Error ? error.message : String(error)}`);
        await this.sleep(1000);
      }
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    if (this.options.mayDeliver && !this.options.mayDeliver()) return;
    this.inFlight.add(delivery.noticeId);
    try {
      const error = await this.post(delivery);
      if (this.stopped && error !== undefined) return;
      const now = new Date();
      if (error === undefined) this.store.delivered(delivery.noticeId, now.toISOString());
      else if (delivery.attempts + 1 >= this.config.maxAttempts) {
        this.store.failed(delivery.noticeId, now.toISOString(), error);
        this.logger.error(`gave up delivering notice ${delivery.noticeId} to ${delivery.url} after ${delivery.attempts + 1} attempts: ${error}`);
      } else this.store.retryAt(delivery.noticeId, now.getTime() + this.backoff(delivery.attempts), error);
    } finally {
      this.inFlight.delete(delivery.noticeId);
    }
  }

  /** undefined: delivered; otherwise why not. */
  private async post(delivery: Delivery): Promise<string | undefined> {
    const body = webhookBody(delivery.body, delivery.recordedAt);
    const timestamp = new Date();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Annals-Webhooks/1',
      'webhook-id': delivery.noticeId,
      'webhook-timestamp': Math.floor(timestamp.getTime() / 1000).toString(),
    };
    if (delivery.secret) {
      let secret: string;
      try {
        secret = this.options.secretOf ? this.options.secretOf(delivery.secret) : delivery.secret;
      } catch (error) {
        return `not sent: ${error instanceof Error ? error.message : String(error)}`;
      }
      headers['webhook-signature'] = new Webhook(secret).sign(delivery.noticeId, timestamp, body);
    }
    const refusal = privateTargetRefusal(delivery.url, this.config.allowPrivate);
    if (refusal) return `refused: the URL ${refusal}`;
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(this.config.timeoutMs), this.abort.signal]);
      const status = await postOnce(delivery.url, headers, body, signal, this.config.allowPrivate ? undefined : (publicOnlyLookup as LookupFunction));
      return status >= 200 && status < 300 ? undefined : `the receiver answered ${status}`;
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      return code === 'EPRIVATETARGET' ? `refused: ${message}` : `no answer: ${code ?? message}`;
    }
  }

  private backoff(attempts: number): number {
    const wait = Math.min(this.config.retryMaxMs, this.config.retryBaseMs * 2 ** Math.min(attempts, 30));
    return Math.round(wait * (1 + Math.random() * 0.2));
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.pause = { timer: setTimeout(resolve, ms), resolve };
    });
  }
}

/** One POST, its answer's status; the answer's body is read and dropped, a redirect is just a status. */
function postOnce(url: string, headers: Record<string, string>, body: string, signal: AbortSignal, lookup: LookupFunction | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() }, signal, lookup }, (response) => {
      response.on('error', reject);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.resume();
    });
    request.on('error', reject);
    request.end(body);
  });
}
