import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../event-store/event-store';
import { appliedBy } from '../../event-store/stream-ownership';
import { claimsById, evolveFigure, type ClaimState, type FigureState } from '../../domain/figure/figure';
import { isFigureEvent, type ClaimAsserted, type FigureDefined, type FigureEvent } from '../../domain/figure/figure.events';
import { parseDate } from '../../domain/valid-time';
import type { Projection } from '../projection';

/** Ranks as numbers SQL can order by: deprecated last, preferred first. */
export const RANK_ORDER = { deprecated: 0, normal: 1, preferred: 2 } as const;

interface CurrentClaim {
  version_id: number;
  status: 'asserted' | 'retracted';
  asserted_position: number;
  body: string;
}

/**
 * The claim after an event, by the domain's own evolveFigure run on a figure holding just that
 * claim: the projection never loads a whole figure, and the rule stays in one place.
 */
function nextClaim(before: ClaimState | undefined, event: Exclude<FigureEvent, { type: 'FigureDefined' }>): ClaimState | undefined {
  const claims = claimsById(before ? [[before.claim.claimId, before]] : []);
  const state: FigureState = { status: 'defined', figure: {} as FigureDefined, claims };
  const next = evolveFigure(state, event);
  return next === state || next.status !== 'defined' ? before : next.claims.get(event.data.claimId);
}

/** Writes figures and claim_versions: each claim event closes the claim's current version and opens the next. */
export class FiguresProjection implements Projection {
  readonly name = 'figures';
  private readonly define: Database.Statement;
  private readonly current: Database.Statement;
  private readonly close: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly claimant: Database.Statement;

  constructor(db: Database.Database) {
    this.define = db.prepare(
      'INSERT OR IGNORE INTO figures (figure_id, position, recorded_at, actor, body) VALUES (?, ?, ?, ?, ?)',
    );
    this.current = db.prepare(
      'SELECT version_id, status, asserted_position, body FROM claim_versions WHERE figure_id = ? AND claim_id = ? AND recorded_to IS NULL',
    );
    this.close = db.prepare('UPDATE claim_versions SET recorded_to = ? WHERE version_id = ?');
    this.insert = db.prepare(`INSERT INTO claim_versions
      (figure_id, claim_id, claimant, asserted_earliest, asserted_latest, asserted_position, rank, status, revision, position, event_type, actor, reason, recorded_from, body)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.claimant = db.prepare('INSERT OR IGNORE INTO figure_claimants (figure_id, claimant) VALUES (?, ?)');
  }

  apply(event: RecordedEvent): void {
    if (!appliedBy(this.name, event) || !isFigureEvent(event)) return;
    const recordedAt = event.recordedAt.getTime();
    const actor = typeof event.metadata.actor === 'string' ? event.metadata.actor : null;
    if (event.type === 'FigureDefined') {
      this.define.run(event.data.figureId, event.position, recordedAt, actor, JSON.stringify(event.data));
      return;
    }
    const current = this.current.get(event.data.figureId, event.data.claimId) as CurrentClaim | undefined;
    const before = current ? { status: current.status, claim: JSON.parse(current.body) as ClaimAsserted } : undefined;
    const after = nextClaim(before, event);
    if (after === before || after === undefined) return;
    const { claim, status } = after;
    const assertedPosition = current ? BigInt(current.asserted_position) : event.position;
    if (current) this.close.run(recordedAt, current.version_id);
    this.claimant.run(claim.figureId, claim.claimant);
    const assertedOn = parseDate(claim.assertedOn, 'assertedOn');
    this.insert.run(
      claim.figureId,
      claim.claimId,
      claim.claimant,
      assertedOn.earliest,
      assertedOn.latest,
      assertedPosition,
      RANK_ORDER[claim.rank?.value ?? 'normal'],
      status,
      event.revision,
      event.position,
      event.type,
      actor,
      typeof event.metadata.reason === 'string' ? event.metadata.reason : null,
      recordedAt,
      JSON.stringify(claim),
    );
  }
}
