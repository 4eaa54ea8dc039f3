import 'reflect-metadata';
import fc from 'fast-check';
import type { PipeTransform } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { compiledValidator } from '../../../src/api/compiled-validation';
import { ClocksDto, FigureQueryDto, FiguresPageDto, HistoryQueryDto, KnownAtDto, TimelineQueryDto } from '../../../src/api/dto/query.dto';
import { classValidatorPipes, validationPipes } from '../../../src/api/validation';
import { pipeOutcome } from '../../support/pipe-outcome';

/**
 * The reads run their query DTO's rules compiled (compiled-validation.ts) as the writes do their
 * bodies', and ask class-transformer and class-validator only for what the compiled check does not
 * accept (a number or a boolean to convert, a broken rule, an unknown or inherited key). Over generated
 * query strings, parsed by Fastify's own parser (a repeated key is a list; the object's prototype is an
 * empty one without Object.prototype),
 * both paths must answer alike: the same DTO instance, or the same problem's fields and reasons. A query
 * of days and instants alone, the as-of reads' hot case, must take the compiled path.
 */

const VALUES = [
  '2019-03-01',
  '2014-08-08',
  '2019-13-01',
  '2019-3-1',
  'yesterday',
  '',
  '2026-01-01T00:00:00Z',
  '20260101T000000Z',
  '2026-01-01',
  '20',
  '0',
  '501',
  '1.5',
  'abc',
  'true',
  'false',
  'asc',
  'desc',
  'Airwars',
  'x'.repeat(401),
];
const KEYS = ['asOf', 'knownAt', 'from', 'to', 'tag', 'entity', 'text', 'limit', 'offset', 'cursor', 'order', 'includeRetracted', 'claimsLimit', 'historyLimit'];
const ODD_KEYS = ['extra', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'prototype', 'clocks', 'knownAtDate'];

const pair = fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 8 }, { arbitrary: fc.constantFrom(...ODD_KEYS), weight: 1 }), fc.constantFrom(...VALUES));
const queryString = fc.array(pair, { maxLength: 4 }).map((pairs) => pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&'));

const QUERIES: readonly (new () => object)[] = [KnownAtDto, ClocksDto, TimelineQueryDto, FiguresPageDto, FigureQueryDto, HistoryQueryDto];

const outcome = (pipes: readonly PipeTransform[], dto: new () => object, query: unknown) => pipeOutcome(pipes, 'query', dto, query);

describe('compiled query validation', () => {
  const compiled = validationPipes();
  const classValidator = classValidatorPipes();
  const fastify = new FastifyAdapter().getInstance();
  let captured: unknown;
  fastify.get('/q', (request, reply) => {
    captured = request.query;
    void reply.send('');
  });
  /** The query object a route is given for `text`, as the app's server parses it. */
  const parse = async (text: string): Promise<unknown> => {
    await fastify.inject({ method: 'GET', url: `/q?${text}` });
    return captured;
  };

  beforeAll(() => fastify.ready());
  afterAll(() => fastify.close());

  for (const dto of QUERIES) {
    it(`accepts and refuses the same ${dto.name} queries as class-validator, naming the same fields`, async () => {
      expect(compiledValidator(dto)).toBeDefined();
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(queryString, async (text) => {
          const [fast, slow] = [await outcome(compiled, dto, await parse(text)), await outcome(classValidator, dto, await parse(text))];
          expect(fast).toStrictEqual(slow);
          if ('dto' in slow) accepted++;
        }),
        { numRuns: 400 },
      );
      expect(accepted).toBeGreaterThan(5);
    });
  }

  it('answers an as-of query of days and instants alone compiled, as the pipes would', async () => {
    for (const dto of [TimelineQueryDto, FigureQueryDto, FiguresPageDto, HistoryQueryDto, ClocksDto]) {
      for (const text of ['', 'asOf=2019-03-01', 'asOf=2019-03-01&knownAt=2026-01-01T00%3A00%3A00Z']) {
        const slow = await outcome(classValidator, dto, await parse(text));
        expect('dto' in slow).toBe(true);
        expect(compiledValidator(dto)?.(await parse(text))).toStrictEqual((slow as { dto: object }).dto);
      }
    }
  });

  it('leaves a number or a boolean to convert to class-transformer', async () => {
    expect(compiledValidator(FigureQueryDto)?.(await parse('asOf=2019-03-01&historyLimit=5'))).toBeUndefined();
    expect(compiledValidator(TimelineQueryDto)?.(await parse('includeRetracted=true'))).toBeUndefined();
  });
});
