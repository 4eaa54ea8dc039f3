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
}
