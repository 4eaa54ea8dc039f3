import type { Decider } from '../../src/domain/decider';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors';
import type { CommandMeta } from '../../src/domain/metadata';

/**
 * Given events / when command / then events or error, for any decider. Everything handed to the
 * decider is deep-frozen, so a decide or evolve that mutates its input fails the test; and the
 * events it emits must survive a trip through JSON unchanged, as they will in the store.
 */

export const meta = (overrides: Partial<CommandMeta> = {}): CommandMeta => ({
  actor: 'editor@annals.test',
  correlationId: 'correlation-1',
  ...overrides,
});

/** The meta of a correction or retraction: one that gives a reason. */
export const because = (reason: string): CommandMeta => meta({ reason });

export interface ExpectedError {
  readonly code: DomainErrorCode;
  readonly field?: string;
  readonly message?: string;
}

export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return {
    given: (events: readonly Event[]) => ({
      when: (command: Command, commandMeta: CommandMeta = meta()) => {
        const run = (): Event[] => {
          const state = events.map(deepFreeze).reduce((s, e) => decider.evolve(s, e), decider.initialState);
          return decider.decide(deepFreeze(command), state, deepFreeze(commandMeta));
        };
        return {
          then(expected: readonly Event[]): void {
            const actual = run();
            expect(actual).toStrictEqual(expected);
            expect(JSON.parse(JSON.stringify(actual))).toStrictEqual(actual);
          },
          thenThrows(expected: ExpectedError): void {
            let error: unknown;
            try {
              run();
            } catch (e) {
              error = e;
            }
            expect(error).toBeInstanceOf(DomainError);
            expect(error).toMatchObject(expected);
          },
        };
      },
    }),
  };
}

/** The state a stream's events fold into, for tests of evolve. */
export function stateAfter<Command, Event, State>(decider: Decider<Command, Event, State>, events: readonly Event[]): State {
  return events.map(deepFreeze).reduce((s, e) => decider.evolve(s, e), decider.initialState);
}

/** Frozen all the way down, so code under test that mutates its input throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
