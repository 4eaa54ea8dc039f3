import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { READ_MODELS } from '../../../src/projections/read-model-registry';

/**
 * Every read model the registry serves has a given/then projection spec of its own
 * (`<name>.projection.cases.ts` beside this file, run by the unit group): a read model added to the
 * registry without one fails here.
 */
it('every registered read model has its projection spec', () => {
  const names = READ_MODELS.map((model) => model.name);
  expect(names.length).toBeGreaterThanOrEqual(4);
  const without = names.filter((name) => !existsSync(join(__dirname, `${name}.projection.cases.ts`)));
  expect(without).toEqual([]);
});
