import { api, send } from '../../../src/ui/client/api';

/**
 * The page reads its own writes behind several replicas: after a write answered Annals-Position, every
 * read sends it back as Annals-Min-Position, the highest one written so far.
 */
describe("the page's API client", () => {
  const realFetch = global.fetch;
  let sent: { url: string; headers: Record<string, string> }[];
  let nextPosition: string | undefined;

  beforeEach(() => {
    sent = [];
    nextPosition = undefined;
    global.fetch = (async (url: string, init: { headers?: Record<string, string> } = {}) => {
      sent.push({ url, headers: init.headers ?? {} });
      const headers = new Headers(nextPosition === undefined ? {} : { 'annals-position': nextPosition });
      return new Response('{"ok":true}', { status: 200, headers });
    }) as typeof fetch;
  });
  afterEach(() => {
    global.fetch = realFetch;
  });

  it('sends no Annals-Min-Position before any write, then the highest position its writes answered', async () => {
    await api('/timeline');
    expect(sent[0].headers['annals-min-position']).toBeUndefined();
    nextPosition = '41';
    await send('POST', '/facts', {});
    nextPosition = '7';
    await send('POST', '/facts', {});
    nextPosition = 'garbage';
    await send('POST', '/facts', {});
    nextPosition = undefined;
    await api('/facts/x');
    expect(sent[sent.length - 1].headers['annals-min-position']).toBe('41');
  });
});
