import fc from 'fast-check';
import { DomainError } from '../../../src/domain/errors';
import { validateClaimValue } from '../../../src/domain/figure/figure-values';
import { claimValueBounds } from '../../../src/domain/figure/figure.events';

const errorOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

const amount = fc.double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true });

describe('claim values, for any numbers', () => {
  it('accepts a range exactly when min does not exceed max, and then spans min to max', () => {
    fc.assert(
      fc.property(amount, amount, (min, max) => {
        const check = () => validateClaimValue({ kind: 'range', min, max }, 'value');
        if (min <= max) {
          expect(claimValueBounds(check())).toEqual({ low: min, high: max });
        } else {
          expect(errorOf(check)).toMatchObject({ code: 'invalid', message: 'min must not exceed max', field: 'value.min' });
        }
      }),
    );
  });

  it('rejects every negative or non-finite number, naming where it is', () => {
    const bad = fc.oneof(
      fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY),
    );
    fc.assert(
      fc.property(bad, (value) => {
        expect(errorOf(() => validateClaimValue({ kind: 'exact', value }, 'value'))).toBeInstanceOf(DomainError);
        expect(errorOf(() => validateClaimValue({ kind: 'bound', value, qualifier: 'about' }, 'changes.value'))).toMatchObject({
          code: 'invalid',
          field: 'changes.value.value',
        });
      }),
    );
  });
});
