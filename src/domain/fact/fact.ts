import { correctionOf } from '../correction';
import type { Decider } from '../decider';
import { conflict, invalid, notFound } from '../errors';
import { validateId } from '../ids';
import { requireReason, type CommandMeta } from '../metadata';
import { validateSource, type Source } from '../source';
import type { FactChanges, FactCorrected, FactEvent, FactRecorded, FactRetracted, FactSourceAdded } from './fact.events';
import { FACT_LIMITS, factRules } from './fact-values';

/** A fact's logic as a decider: commands in, events out; state is only what deciding needs. */

export type RecordFact = { readonly type: 'RecordFact' } & FactRecorded;
export type CorrectFact = { readonly type: 'CorrectFact'; readonly factId: string; readonly changes: FactChanges };
export type RetractFact = { readonly type: 'RetractFact'; readonly factId: string };
export type AddFactSource = { readonly type: 'AddFactSource'; readonly factId: string; readonly source: Source };
export type FactCommand = RecordFact | CorrectFact | RetractFact | AddFactSource;

/** `fact` holds the current values: as recorded, with every correction applied. */
export type FactState =
  | { readonly status: 'none' }
  | { readonly status: 'recorded'; readonly fact: FactRecorded }
  | { readonly status: 'retracted'; readonly fact: FactRecorded };

export const initialFactState: FactState = { status: 'none' };

export const factStream = (factId: string): string => `fact-${factId}`;

/**
 * Total on purpose: an event the decider could not have emitted in this state, or a type this
 * code does not know (written by a newer version), leaves the state as it is instead of
 * breaking every later read of the stream.
 */
export function evolveFact(state: FactState, event: FactEvent): FactState {
  switch (event.type) {
    case 'FactRecorded':
      return state.status === 'none' ? { status: 'recorded', fact: event.data } : state;
    case 'FactCorrected':
      return state.status === 'recorded' ? { status: 'recorded', fact: { ...state.fact, ...event.data.changes } } : state;
    case 'FactRetracted':
      return state.status === 'recorded' ? { status: 'retracted', fact: state.fact } : state;
    case 'FactSourceAdded':
      return state.status === 'recorded' ? { status: 'recorded', fact: { ...state.fact, sources: [...state.fact.sources, event.data.source] } } : state;
    default:
      return state;
  }
}

export function decideFact(command: FactCommand, state: FactState, meta: CommandMeta): FactEvent[] {
  switch (command.type) {
    case 'RecordFact':
      return [{ type: 'FactRecorded', data: record(command, state) }];
    case 'CorrectFact':
      return [{ type: 'FactCorrected', data: correct(command, state, meta) }];
    case 'RetractFact':
      return [{ type: 'FactRetracted', data: retract(command, state, meta) }];
    case 'AddFactSource':
      return [{ type: 'FactSourceAdded', data: addSource(command, state) }];
    default:
      throw invalid(`unknown command ${(command as { type?: unknown }).type}`, 'type');
  }
}

export const factDecider: Decider<FactCommand, FactEvent, FactState> = {
  initialState: initialFactState,
  evolve: evolveFact,
  decide: decideFact,
  streamOf: (command) => factStream(command.factId),
};

function record(command: RecordFact, state: FactState): FactRecorded {
  const factId = validateId(command.factId, 'factId');
  const fact: FactRecorded = {
    factId,
    title: factRules.title(command.title, 'title'),
    summary: factRules.summary(command.summary, 'summary'),
    tags: factRules.tags(command.tags, 'tags'),
    entities: factRules.entities(command.entities, 'entities'),
    sources: factRules.sources(command.sources, 'sources'),
    validTime: factRules.validTime(command.validTime, 'validTime'),
    ...(command.confidence === undefined ? {} : { confidence: factRules.confidence(command.confidence, 'confidence') }),
  };
  if (state.status !== 'none') throw conflict(`fact ${factId} already exists`, 'factId');
  return fact;
}

function correct(command: CorrectFact, state: FactState, meta: CommandMeta): FactCorrected {
  const factId = validateId(command.factId, 'factId');
  requireReason(meta);
  const fact = liveFact(state, factId);
  return { factId, changes: correctionOf(command.changes, fact, factRules) };
}

function retract(command: RetractFact, state: FactState, meta: CommandMeta): FactRetracted {
  const factId = validateId(command.factId, 'factId');
  requireReason(meta);
  liveFact(state, factId);
  return { factId };
}

/** A source is added once (by its URL) to a live fact, up to the fact's limit of sources; no reason needed: nothing was wrong. */
function addSource(command: AddFactSource, state: FactState): FactSourceAdded {
  const factId = validateId(command.factId, 'factId');
  const source = validateSource(command.source, 'source');
  const fact = liveFact(state, factId);
  if (fact.sources.some((cited) => cited.url === source.url)) throw conflict(`fact ${factId} already cites ${source.url}`, 'source.url');
  if (fact.sources.length >= FACT_LIMITS.sources) throw invalid(`fact ${factId} already has ${FACT_LIMITS.sources} sources, the most a fact may have`, 'source');
  return { factId, source };
}

/** Only a recorded, unretracted fact can be corrected or retracted: a retraction is final. */
function liveFact(state: FactState, factId: string): FactRecorded {
  if (state.status === 'none') throw notFound(`fact ${factId} not found`, 'factId');
  if (state.status === 'retracted') throw conflict(`fact ${factId} is retracted`, 'factId');
  return state.fact;
}
