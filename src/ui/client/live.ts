/*
 * The page follows the log: one EventSource on /events. The browser reconnects by itself after a
 * drop and sends the last message's id as Last-Event-ID, so the server resumes right after the
 * last event this page saw; nothing is missed and nothing comes twice.
 */
import type { LogEvent } from './api-types';
import { eventTypes } from './event-types';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'back';


/**
 * onEvents(events) gets the events that arrived within `settleMs` of each other, once;
 * onState('connecting' | 'live' | 'reconnecting' | 'back') says how the connection is.
 */
export function connectLive(onEvents: (events: LogEvent[]) => unknown, onState: (state: LiveState) => void, settleMs = 150): void {
  if (typeof EventSource === 'undefined') return;
  let pending: LogEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let dropped = false;
  let lastId: string | null = null;
  onState('connecting');
  const flush = () => {
    timer = null;
    const events = pending;
    pending = [];
    onEvents(events);
  };
  // The event types that change what the page shows: the domain's, as the server declares them.
  const open = async (url: string): Promise<void> => {
    const types = (await eventTypes()).map((info) => info.type);
    const source = new EventSource(url);
    types.forEach((type) => {
      source.addEventListener(type, (message: MessageEvent<string>) => {
        lastId = message.lastEventId || lastId;
        let event: LogEvent;
        try {
          event = JSON.parse(message.data);
        } catch {
          return;
        }
        pending.push(event);
        if (timer === null) timer = setTimeout(flush, settleMs);
      });
    });
    source.addEventListener('open', () => {
      onState(dropped ? 'back' : 'live');
      dropped = false;
    });
    source.addEventListener('error', () => {
      // CONNECTING: the browser retries on its own; CLOSED: the server refused the stream for good.
      dropped = true;
      if (source.readyState !== EventSource.CLOSED) {
        onState('reconnecting');
        return;
      }
      // The browser gave up (an error status, not a dropped connection): try again later from the last event seen.
      onState('reconnecting');
      setTimeout(() => void open(lastId === null ? '/events' : '/events?from=' + encodeURIComponent(lastId)), 5000);
    });
  };
  void open('/events');
}
