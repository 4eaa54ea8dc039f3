import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { xml2js, type Element } from 'xml-js';
import { loadConfig } from '../../src/config';
import { atomFeed } from '../../src/watches/atom';
import type { SequencedNotice } from '../../src/watches/notice';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, figureBody } from '../support/factories';
import { watchesSettled } from '../support/watches';

/** What XML 1.0 cannot hold (its Char production), raw. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const HOSTILE = 'bell\u0007 nul\u0000 esc\u001b form\u000c lone\uD800 end\uFFFF';

function parsed(text: string): Element {
  // xml-js (sax) throws on characters XML 1.0 forbids: a feed that parses is one a reader can read.
  return xml2js(text) as Element;
}

function all(element: Element, name: string): Element[] {
  const found: Element[] = [];
  const walk = (e: Element) => {
    if (e.name === name) found.push(e);
    for (const child of e.elements ?? []) walk(child);
  };
  walk(element);
  return found;
}

/**
 * The Atom feeds hold text written by clients (reasons, titles, actors): whatever it holds, every
 * feed stays well-formed XML 1.0, its links stay http(s), and its ids and links come from the
 * configured public URL, never from the Host header a client sends.
 */
describe('watch Atom feeds with hostile text', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({ publicUrl: 'https://annals.example.org/desk' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('a reason and a title with control characters: /notices.atom and the watch feed still parse, without them', async () => {
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    const claim = claimBody({ assertedOn: '2019-02-15', value: { kind: 'exact', value: 10 }, period: undefined });
    await http().post(`/figures/${figure.id}/claims`).send(claim).expect(201);
    const { body: created } = await http().post('/watches').send({ kind: 'figure', figureId: figure.id, asOf: '2019-03-28', title: `watch ${HOSTILE}` }).expect(201);
    await http()
      .post(`/figures/${figure.id}/claims/${claim.id}/corrections`)
      .send(correctionBody({ value: { kind: 'exact', value: 11 } }, `reason ${HOSTILE}`))
      .expect(200);
    await watchesSettled(app);
    const [notice] = (await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body.items;
    // The notice itself keeps what was written (JSON can hold it); only the XML is cleaned.
    expect(notice.reasons).toEqual([`reason ${HOSTILE}`]);

    for (const path of ['/notices.atom', `/watches/${created.watch.id}/notices.atom`]) {
      const { text } = await http().get(path).set('host', 'evil.example.net').expect(200);
      expect(text).not.toMatch(NOT_XML);
      const doc = parsed(text);
      expect(all(doc, 'entry')).toHaveLength(1);
      expect(text).toContain('reason bell\uFFFD nul\uFFFD');
      expect(text).not.toContain('evil.example.net');
      for (const link of all(doc, 'link')) expect(String(link.attributes?.href)).toMatch(/^https:\/\/annals\.example\.org\/desk\//);
      const id = all(doc, 'feed')[0].elements!.find((e) => e.name === 'id')!.elements![0].text;
      expect(String(id)).toMatch(/^https:\/\/annals\.example\.org\/desk\//);
    }
  });
});

describe('atomFeed', () => {
  const notice = (overrides: Partial<SequencedNotice>): SequencedNotice => ({
    id: '00000000-0000-4000-8000-000000000001',
    sequence: '1',
    watchId: null,
    title: null,
    question: { kind: 'figure', figureId: 'f' },
    path: '/figures/f',
    summary: 'one value changed',
    previousPosition: '1',
    position: '2',
    recordedAt: '2026-01-01T00:00:00.000Z',
    events: [],
    moreEvents: 0,
    actors: [],
    reasons: [],
    changes: [],
    before: null,
    after: null,
    beforeHash: 'sha256:a',
    afterHash: 'sha256:b',
    ...overrides,
  });
  const meta = { self: 'https://annals.example.org/notices.atom', title: 'all', link: 'https://annals.example.org/watches', since: '2026-01-01T00:00:00.000Z' };

  it('links only http(s): a stored path that is a scheme or another host is not linked', () => {
    const text = atomFeed(meta, [notice({ path: 'javascript:alert(1)' }), notice({ sequence: '2', path: '//evil.example.net/x' })], 'https://annals.example.org');
    const links = all(parsed(text), 'link').map((l) => String(l.attributes?.href));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/^https:\/\/annals\.example\.org\//);
    expect(text).not.toMatch(/javascript:|evil\.example\.net/);
  });

  it('actors, changes and events with control characters in every field still make well-formed XML', () => {
    const bad = `x${HOSTILE}`;
    const text = atomFeed(
      { ...meta, title: bad },
      [
        notice({
          summary: bad,
          actors: [bad],
          reasons: [bad],
          changes: [{ op: 'replace', path: `/${bad}`, before: bad, after: bad }],
          events: [{ position: '2', id: bad, type: bad, streamId: bad, actor: bad, reason: bad, recordedAt: '2026-01-01T00:00:00.000Z' }],
        }),
      ],
      'https://annals.example.org',
    );
    expect(text).not.toMatch(NOT_XML);
    expect(all(parsed(text), 'entry')).toHaveLength(1);
  });

  it('ANNALS_PUBLIC_URL must be an absolute http(s) URL', () => {
    expect(loadConfig({ ANNALS_PUBLIC_URL: 'https://annals.example.org/desk/' }).publicUrl).toBe('https://annals.example.org/desk');
    expect(() => loadConfig({ ANNALS_PUBLIC_URL: 'javascript:alert(1)' })).toThrow(/ANNALS_PUBLIC_URL/);
    expect(() => loadConfig({ ANNALS_PUBLIC_URL: 'annals.example.org' })).toThrow(/ANNALS_PUBLIC_URL/);
  });
});
