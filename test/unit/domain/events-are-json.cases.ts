import type { FactCommand } from '../../../src/domain/fact/fact';
import type { FactEvent } from '../../../src/domain/fact/fact.events';
import type { FigureCommand } from '../../../src/domain/figure/figure';
import type { FigureEvent } from '../../../src/domain/figure/figure.events';

/**
 * Compile-time checks (tsc runs over test/): every event's data must be assignable to a JSON
 * object type, so the store can take it without a cast. This JSON type is a local copy on
 * purpose: the domain depends on nothing, and neither does its test.
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const factData = (event: FactEvent): JsonObject => event.data;
const figureData = (event: FigureEvent): JsonObject => event.data;
const commands = (command: FactCommand | FigureCommand): JsonObject => command;

describe('the stored schema', () => {
  it('is plain JSON data, checked by the compiler', () => {
    expect([factData, figureData, commands]).toHaveLength(3);
  });
});
