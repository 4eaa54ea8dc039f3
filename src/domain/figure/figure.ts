import { correctionOf } from '../correction';
import type { Decider } from '../decider';
import { conflict, invalid, notFound } from '../errors';
import { validateId } from '../ids';
import { requireReason, type CommandMeta } from '../metadata';
import type {
  ClaimAsserted,
  ClaimChanges,
  ClaimCorrected,
  ClaimRetracted,
  FigureDefined,
  FigureEvent,
} from './figure.events';
import { requireText } from '../text';
import { claimRules, FIGURE_LIMITS, validateDescription, validateScope } from './figure-values';

/** A figure and its claims as one decider: the figure is the consistency boundary of its claims. */

export type DefineFigure = { readonly type: 'DefineFigure' } & FigureDefined;
export type AssertClaim = { readonly type: 'AssertClaim' } & ClaimAsserted;
export type CorrectClaim = { readonly type: 'CorrectClaim' } & ClaimCorrected;
export type RetractClaim = { readonly type: 'RetractClaim' } & ClaimRetracted;
export type FigureCommand = DefineFigure | AssertClaim | CorrectClaim | RetractClaim;

/** `claim` holds the current values: as asserted, with every correction applied. */
export type ClaimState =
  | { readonly status: 'asserted'; readonly claim: ClaimAsserted }
  | { readonly status: 'retracted'; readonly claim: ClaimAsserted };

export type FigureState =
  | { readonly status: 'none' }
  | { readonly status: 'defined'; readonly figure: FigureDefined; readonly claims: ReadonlyMap<string, ClaimState> };

export const initialFigureState: FigureState = { status: 'none' };

export const figureStream = (figureId: string): string => `figure-${figureId}`;

/** Total, like evolveFact: an impossible or unknown event leaves the state as it is. */
export function evolveFigure(state: FigureState, event: FigureEvent): FigureState {
  if (event.type === 'FigureDefined') {
    return state.status === 'none' ? { status: 'defined', figure: event.data, claims: new Map() } : state;
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
    default:
      return state;
  }
}

export function decideFigure(command: FigureCommand, state: FigureState, meta: CommandMeta): FigureEvent[] {
  switch (command.type) {
    case 'DefineFigure':
      return [{ type: 'FigureDefined', data: define(command, state) }];
    case 'AssertClaim':
      return [{ type: 'ClaimAsserted', data: assert(command, state) }];
    case 'CorrectClaim':
      return [{ type: 'ClaimCorrected', data: correct(command, state, meta) }];
    case 'RetractClaim':
      return [{ type: 'ClaimRetracted', data: retract(command, state, meta) }];
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

function assert(command: AssertClaim, state: FigureState): ClaimAsserted {
  const figureId = validateId(command.figureId, 'figureId');
  const claimId = validateId(command.claimId, 'claimId');
  const period = command.period === undefined ? undefined : claimRules.period(command.period, 'period');
  const asserted: ClaimAsserted = {
    figureId,
    claimId,
    claimant: claimRules.claimant(command.claimant, 'claimant'),
    value: claimRules.value(command.value, 'value'),
    assertedOn: claimRules.assertedOn(command.assertedOn, 'assertedOn'),
    ...(period === undefined ? {} : { period }),
    source: claimRules.source(command.source, 'source'),
  };
  const figure = definedFigure(state, figureId);
  // A retracted claim keeps its id: reusing it would make the history of two claims one.
  if (figure.claims.has(claimId)) throw conflict(`claim ${claimId} already exists`, 'claimId');
  return asserted;
}

function correct(command: CorrectClaim, state: FigureState, meta: CommandMeta): ClaimCorrected {
  const { figureId, claimId } = ids(command);
  requireReason(meta);
  const claim = liveClaim(state, figureId, claimId);
  const changes: ClaimChanges = correctionOf(command.changes, claim, claimRules);
  return { figureId, claimId, changes };
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
  return { ...state, claims: new Map(state.claims).set(claim.claim.claimId, claim) };
}
