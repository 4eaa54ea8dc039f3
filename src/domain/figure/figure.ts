import { Map as PersistentMap } from 'immutable';
import { correctionOf } from '../correction';
import type { Decider } from '../decider';
import { conflict, invalid, notFound } from '../errors';
import { validateId } from '../ids';
import { requireReason, type CommandMeta } from '../metadata';
import { validateSource, type Source } from '../source';
import type {
  ClaimAsserted,
  ClaimChanges,
  ClaimCorrected,
  ClaimRank,
  ClaimRanked,
  ClaimRetracted,
  FigureDefined,
  FigureEvent,
} from './figure.events';
import { requireText } from '../text';
import { parseDate } from '../valid-time';
import { claimRules, FIGURE_LIMITS, requireWholeIfCount, validateDescription, validateRank, validateScope } from './figure-values';

/** A figure and its claims as one decider: the figure is the consistency boundary of its claims. */

export type DefineFigure = { readonly type: 'DefineFigure' } & FigureDefined;
/** `source` (one) is what clients sent before `sources`: still taken, and stored as a list of one. */
export type AssertClaim = { readonly type: 'AssertClaim' } & Omit<ClaimAsserted, 'sources'> & {
    readonly sources?: Source[];
    readonly source?: Source;
  };
export type CorrectClaim = { readonly type: 'CorrectClaim' } & ClaimCorrected;
export type RetractClaim = { readonly type: 'RetractClaim' } & ClaimRetracted;
export type RankClaim = { readonly type: 'RankClaim' } & ClaimRanked;
export type FigureCommand = DefineFigure | AssertClaim | CorrectClaim | RetractClaim | RankClaim;

/** `claim` holds the current values: as asserted, with every correction applied. */
export type ClaimState =
  | { readonly status: 'asserted'; readonly claim: ClaimAsserted }
  | { readonly status: 'retracted'; readonly claim: ClaimAsserted };

export type FigureState =
  | { readonly status: 'none' }
  | { readonly status: 'defined'; readonly figure: FigureDefined; readonly claims: ClaimsById };

/**
 * A persistent map: setting a claim shares the rest of the map with the state before it, so a fold
 * over a figure's history is linear, not quadratic, and every state it passes through stays valid.
 */
export type ClaimsById = PersistentMap<string, ClaimState>;
export const claimsById = (entries: Iterable<readonly [string, ClaimState]> = []): ClaimsById => PersistentMap(entries as Iterable<[string, ClaimState]>);

export const initialFigureState: FigureState = { status: 'none' };

export const figureStream = (figureId: string): string => `figure-${figureId}`;

/** Total, like evolveFact: an impossible or unknown event leaves the state as it is. */
export function evolveFigure(state: FigureState, event: FigureEvent): FigureState {
  if (event.type === 'FigureDefined') {
    return state.status === 'none' ? { status: 'defined', figure: event.data, claims: claimsById() } : state;
  }
  if (state.status !== 'defined') return state;
  const current = state.claims.get(event.data.claimId);
  switch (event.type) {
    case 'ClaimAsserted':
      return current ? state : withClaim(state, { status: 'asserted', claim: event.data });
    case 'ClaimCorrected':
      return current?.status !== 'asserted'
        ? state
        : withClaim(state, { status: 'asserted', claim: { ...current.claim, ...event.data.changes } });
    case 'ClaimRetracted':
      return current?.status !== 'asserted' ? state : withClaim(state, { status: 'retracted', claim: current.claim });
    case 'ClaimRanked':
      return current?.status !== 'asserted' ? state : withClaim(state, { status: 'asserted', claim: { ...current.claim, rank: event.data.rank } });
    default:
      return state;
  }
}

export function decideFigure(command: FigureCommand, state: FigureState, meta: CommandMeta): FigureEvent[] {
  switch (command.type) {
    case 'DefineFigure':
      return [{ type: 'FigureDefined', data: define(command, state) }];
    case 'AssertClaim':
      return [{ type: 'ClaimAsserted', data: assert(command, state, meta) }];
    case 'CorrectClaim':
      return [{ type: 'ClaimCorrected', data: correct(command, state, meta) }];
    case 'RetractClaim':
      return [{ type: 'ClaimRetracted', data: retract(command, state, meta) }];
    case 'RankClaim':
      return [{ type: 'ClaimRanked', data: rank(command, state, meta) }];
    default:
      throw invalid(`unknown command ${(command as { type?: unknown }).type}`, 'type');
  }
}

export const figureDecider: Decider<FigureCommand, FigureEvent, FigureState> = {
  initialState: initialFigureState,
  evolve: evolveFigure,
  decide: decideFigure,
  streamOf: (command) => figureStream(command.figureId),
};

function define(command: DefineFigure, state: FigureState): FigureDefined {
  const figureId = validateId(command.figureId, 'figureId');
  const name = requireText(command.name, 'name', FIGURE_LIMITS.name);
  const unit = requireText(command.unit, 'unit', FIGURE_LIMITS.unit);
  const description = validateDescription(command.description, 'description');
  const scope = validateScope(command.scope, 'scope');
  if (state.status !== 'none') throw conflict(`figure ${figureId} already exists`, 'figureId');
  return description === undefined ? { figureId, name, unit, scope } : { figureId, name, unit, description, scope };
}

function assert(command: AssertClaim, state: FigureState, meta: CommandMeta): ClaimAsserted {
  const figureId = validateId(command.figureId, 'figureId');
  const claimId = validateId(command.claimId, 'claimId');
  const period = command.period === undefined ? undefined : claimRules.period(command.period, 'period');
  const confidence = command.confidence === undefined ? undefined : claimRules.confidence(command.confidence, 'confidence');
  const inferredFrom = command.inferredFrom === undefined ? undefined : claimRules.inferredFrom(command.inferredFrom, 'inferredFrom');
  const rank = command.rank === undefined ? undefined : validateRank(command.rank, 'rank');
  const claimantType = command.claimantType === undefined ? undefined : claimRules.claimantType(command.claimantType, 'claimantType');
  const asserted: ClaimAsserted = {
    figureId,
    claimId,
    claimant: claimRules.claimant(command.claimant, 'claimant'),
    ...(claimantType === undefined ? {} : { claimantType }),
    value: claimRules.value(command.value, 'value'),
    assertedOn: claimRules.assertedOn(command.assertedOn, 'assertedOn'),
    ...(period === undefined ? {} : { period }),
    sources: sourcesOf(command),
    ...(confidence === undefined ? {} : { confidence }),
    ...(inferredFrom === undefined ? {} : { inferredFrom }),
    ...(rank === undefined ? {} : { rank }),
  };
  const figure = definedFigure(state, figureId);
  // A retracted claim keeps its id: reusing it would make the history of two claims one.
  if (figure.claims.has(claimId)) throw conflict(`claim ${claimId} already exists`, 'claimId');
  requireWholeIfCount(asserted.value, figure.figure.unit, 'value');
  requireNotAfterRecording(asserted.assertedOn, meta, 'assertedOn');
  if (inferredFrom !== undefined) requireSourceClaims(figure, claimId, inferredFrom, 'inferredFrom');
  return asserted;
}

/** Either the list or the single source of older clients, not both: one of them would be dropped. */
function sourcesOf(command: AssertClaim): Source[] {
  if (command.source !== undefined && command.sources !== undefined) throw invalid('give sources (a list) or source (one), not both', 'source');
  if (command.source !== undefined) return [validateSource(command.source, 'source')];
  return claimRules.sources(command.sources, 'sources');
}

/**
 * A claim cannot be made after the moment we record it. `meta.recordedOn` is the day the writer's
 * clock gives (UTC); a day of grace covers the time zones ahead of UTC, where it is already tomorrow.
 */
function requireNotAfterRecording(assertedOn: string, meta: CommandMeta, field: string): void {
  if (meta.recordedOn === undefined) return;
  const earliest = parseDate(assertedOn, field).earliest;
  if (earliest > nextDay(meta.recordedOn)) {
    throw invalid(`${field} must not be after the day it is recorded (${meta.recordedOn}): it can only come from a claim already made`, field);
  }
}

function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** An inferred number names claims of this figure, live ones, other than itself. */
function requireSourceClaims(figure: Extract<FigureState, { status: 'defined' }>, claimId: string, ids: string[], field: string): void {
  ids.forEach((id, index) => {
    const claim = figure.claims.get(id);
    if (id === claimId) throw invalid(`${field}[${index}]: a claim cannot be inferred from itself`, `${field}[${index}]`);
    if (claim === undefined) throw invalid(`${field}[${index}]: claim ${id} is not a claim of this figure`, `${field}[${index}]`);
    if (claim.status === 'retracted') throw invalid(`${field}[${index}]: claim ${id} is retracted`, `${field}[${index}]`);
  });
}

function correct(command: CorrectClaim, state: FigureState, meta: CommandMeta): ClaimCorrected {
  const { figureId, claimId } = ids(command);
  requireReason(meta);
  const claim = liveClaim(state, figureId, claimId);
  const corrected: ClaimChanges = correctionOf(legacySource(command.changes), claim, claimRules);
  // A person claimant's new name says it is a person's, so that the seal (which sees only the event) seals it too.
  const claimantType = corrected.claimantType ?? claim.claimantType;
  const changes = corrected.claimant !== undefined && claimantType === 'person' ? { ...corrected, claimantType } : corrected;
  const figure = definedFigure(state, figureId);
  if (changes.value !== undefined) requireWholeIfCount(changes.value, figure.figure.unit, 'changes.value');
  if (changes.assertedOn !== undefined) requireNotAfterRecording(changes.assertedOn, meta, 'changes.assertedOn');
  if (changes.inferredFrom !== undefined) requireSourceClaims(figure, claimId, changes.inferredFrom, 'changes.inferredFrom');
  return { figureId, claimId, changes };
}

/** A correction of `source` (one), as older clients send it, is a correction of the list to that one. */
function legacySource(changes: unknown): unknown {
  if (typeof changes !== 'object' || changes === null || !('source' in changes) || changes.source === undefined) return changes;
  const { source, ...rest } = changes as { source: unknown; sources?: unknown };
  if (rest.sources !== undefined) throw invalid('give changes.sources (a list) or changes.source (one), not both', 'changes.source');
  return { ...rest, sources: [source] };
}

/** Ranking says which claim to prefer; it changes no value. A rank that is already the claim's changes nothing. */
function rank(command: RankClaim, state: FigureState, meta: CommandMeta): ClaimRanked {
  const { figureId, claimId } = ids(command);
  requireReason(meta);
  const claim = liveClaim(state, figureId, claimId);
  const next: ClaimRank = validateRank(command.rank, 'rank');
  const now = claim.rank ?? { value: 'normal' };
  if (now.value === next.value && now.reason === next.reason) throw invalid(`claim ${claimId} is already ranked ${next.value}`, 'rank');
  return { figureId, claimId, rank: next };
}

function retract(command: RetractClaim, state: FigureState, meta: CommandMeta): ClaimRetracted {
  const { figureId, claimId } = ids(command);
  requireReason(meta);
  liveClaim(state, figureId, claimId);
  return { figureId, claimId };
}

function ids(command: { readonly figureId: string; readonly claimId: string }) {
  return { figureId: validateId(command.figureId, 'figureId'), claimId: validateId(command.claimId, 'claimId') };
}

function definedFigure(state: FigureState, figureId: string): Extract<FigureState, { status: 'defined' }> {
  if (state.status !== 'defined') throw notFound(`figure ${figureId} not found`, 'figureId');
  return state;
}

/** Only an asserted, unretracted claim can be corrected or retracted: a retraction is final. */
function liveClaim(state: FigureState, figureId: string, claimId: string): ClaimAsserted {
  const current = definedFigure(state, figureId).claims.get(claimId);
  if (current === undefined) throw notFound(`claim ${claimId} not found`, 'claimId');
  if (current.status === 'retracted') throw conflict(`claim ${claimId} is retracted`, 'claimId');
  return current.claim;
}

function withClaim(state: Extract<FigureState, { status: 'defined' }>, claim: ClaimState): FigureState {
  return { ...state, claims: state.claims.set(claim.claim.claimId, claim) };
}
