import Database from 'better-sqlite3';
import { claimOrderBeyond, claimOrderBy, claimOrderKey, compareClaimOrder } from '../../../src/projections/figures/claim-order';
import { FIGURE_SCHEMA } from '../../../src/projections/figures/figures.schema';

/** History order is declared once: the SQL fragments and the in-memory comparator must agree on every pair. */
describe('claim order', () => {
  const db = new Database(':memory:');
  db.exec(FIGURE_SCHEMA);
  const windows: [string, string][] = [
    ['2019-01-01', '2019-12-31'],
    ['2019-01-01', '2019-01-31'],
    ['2019-02-14', '2019-02-14'],
    ['2018-01-01', '2019-12-31'],
  ];
  const insert = db.prepare(
    `INSERT INTO claim_versions (figure_id, claim_id, claimant, asserted_earliest, asserted_latest, asserted_position, rank, status, revision, position, event_type, recorded_from, body)
     VALUES ('f', ?, 'c', ?, ?, ?, 1, 'asserted', ?, ?, 'ClaimAsserted', 0, '{}')`,
  );
  // Each window twice, the later assertion first: the position must break the tie, not the insert order.
  let n = 0;
  for (const position of [9, 3]) for (const [earliest, latest] of windows) insert.run(`claim-${n}`, earliest, latest, position + n, n, ++n);
  type Row = { claim_id: string; asserted_earliest: string; asserted_latest: string; asserted_position: number };
  const rows = db.prepare('SELECT claim_id, asserted_earliest, asserted_latest, asserted_position FROM claim_versions').all() as Row[];
  afterAll(() => db.close());

  it('sorts in SQL as the comparator sorts in memory, both ways', () => {
    const inMemory = [...rows].sort((a, b) => compareClaimOrder(claimOrderKey(a), claimOrderKey(b))).map((r) => r.claim_id);
    const ascending = db.prepare(`SELECT claim_id FROM claim_versions ORDER BY ${claimOrderBy()}`).pluck().all();
    const descending = db.prepare(`SELECT claim_id FROM claim_versions v ORDER BY ${claimOrderBy({ alias: 'v', descending: true })}`).pluck().all();
    expect(ascending).toEqual(inMemory);
    expect(descending).toEqual([...inMemory].reverse());
  });

  it('seeks after and before a key as the comparator orders it', () => {
    for (const row of rows) {
      const key = claimOrderKey(row);
      const after = db.prepare(`SELECT claim_id FROM claim_versions WHERE ${claimOrderBeyond('>')} ORDER BY claim_id`).pluck().all(key);
      const before = db.prepare(`SELECT claim_id FROM claim_versions WHERE ${claimOrderBeyond('<')} ORDER BY claim_id`).pluck().all(key);
      const by = (sign: number) => rows.filter((r) => Math.sign(compareClaimOrder(claimOrderKey(r), key)) === sign).map((r) => r.claim_id).sort();
      expect(after).toEqual(by(1));
      expect(before).toEqual(by(-1));
    }
  });
});
