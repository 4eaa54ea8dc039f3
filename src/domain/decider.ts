import type { CommandMeta } from './metadata';

/**
 * The shape every aggregate's logic takes, so one handle-command serves them all: fold the
 * stream's events with `evolve` from `initialState`, then `decide` what the command adds.
 * Events are bare `{ type, data }`: ids and metadata are the caller's.
 */
export interface Decider<Command, Event, State> {
  readonly initialState: State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State, meta: CommandMeta): Event[];
  /** The stream that holds the aggregate a command is about. */
  streamOf(command: Command): string;
  /**
   * True for a command that only starts its stream (recording a fact, defining a figure): `decide`
   * accepts it on `initialState` alone and refuses it on any other state. Such a command may be decided
   * without reading the stream and appended as its first event; the store refuses that append if the
   * stream has events after all, and the command is then decided again on them.
   */
  startsStream?(command: Command): boolean;
}
