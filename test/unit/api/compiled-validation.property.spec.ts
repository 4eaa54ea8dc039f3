import 'reflect-metadata';
import fc from 'fast-check';
import type { PipeTransform } from '@nestjs/common';
import { compiledValidator } from '../../../src/api/compiled-validation';
import { ReasonDto } from '../../../src/api/dto/common.dto';
import { AddFactSourceDto, CorrectFactDto, RecordFactDto } from '../../../src/api/dto/fact.dto';
import { AssertClaimDto, CorrectClaimDto, DefineFigureDto, RankClaimDto } from '../../../src/api/dto/figure.dto';
import { parseJsonBody } from '../../../src/api/json-body-parser';
import { classValidatorPipes, validationPipes } from '../../../src/api/validation';
import { pipeOutcome } from '../../support/pipe-outcome';

/**
 * The write path runs each body DTO's rules compiled (compiled-validation.ts) and asks class-validator
 * only for what the compiled check does not accept. Over generated bodies, valid ones and ones broken
 * in every way a client could (a key dropped or added, a value of the wrong type, bad dates, inherited
 * and method names as keys), both paths must answer alike: the same DTO instance, or the same
 * problem's fields and reasons. Valid bodies must take the compiled path (it is the hot one).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Mostly values a valid body holds, sometimes one that breaks a rule. */
const mostly = <T,>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
const oneOf = (good: readonly string[], bad: readonly string[]) => mostly(fc.constantFrom(...good), fc.constantFrom(...bad));
const text = mostly(
  fc.constantFrom('x', 'Airwars', 'Amina Yusuf', 'centcom-votel', '/summary', 'Baghouz'),
  fc.oneof(fc.constantFrom('', ' ', 'Bad Id', 'x'.repeat(301), 'annals:sealed:v1:x'), fc.string({ maxLength: 12 })),
);
const date = oneOf(['2019', '2019-03', '2016-03-30', '[2017-06-30..2017-07-28]', '[..2020-02-14]', '2014-08', '1990'], ['2019-13', '2019-02-30', '..', '', 'yesterday']);
const periodEnd = oneOf(['2014', '2016-03-30', '..', ''], ['2013', '2030-01-01', 'x', '2019-13']);
const number = fc.oneof(fc.integer({ min: -5, max: 10_000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  { depthSize: 'small' },
  fc.constant(null),
  fc.boolean(),
  number,
  text,
  date,
  fc.constant<Json>([]),
  fc.constant<Json>({}),
  fc.array(text, { maxLength: 2 }),
  fc.constant<Json>([{}]),
  fc.constant<Json>([null]),
  fc.constant<Json>({ level: 'high' }),
);

/** Optional keys: each present or absent. */
function record(required: Record<string, fc.Arbitrary<Json>>, optional: Record<string, fc.Arbitrary<Json>> = {}): fc.Arbitrary<Json> {
  return fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) }) as fc.Arbitrary<Json>;
}

const source = record({ publisher: text, title: text, url: text }, { publishedOn: date, accessedOn: date, archivedUrl: text, quote: text });
const entity = record({ type: oneOf(['person', 'organisation', 'place'], ['animal']), name: text });
const validTime = fc.oneof(record({ at: date }), record({ from: periodEnd }, { to: periodEnd }), record({}, { at: date, from: periodEnd, to: periodEnd }));
const confidence = record({ level: oneOf(['high', 'medium', 'low'], ['certain']) }, { sourceGrade: text, note: text });
const marks = fc.array(record({ subject: text, path: text }, { passage: text }), { maxLength: 2 });
const period = record({ from: periodEnd }, { to: periodEnd });
const claimValue = record({ kind: oneOf(['exact', 'range', 'bound'], ['guess']) }, { value: number, min: number, max: number, qualifier: oneOf(['at_least', 'about'], ['nearly']) });
const id = oneOf(['centcom-votel', 'a1'], ['Bad Id', '', '-x']);

const factFields = {
  title: text,
  summary: text,
  tags: fc.array(text, { maxLength: 3 }),
  entities: fc.array(entity, { maxLength: 3 }),
  sources: fc.array(source, { maxLength: 2 }),
  validTime,
};
const claimFields = {
  claimant: text,
  claimantType: oneOf(['person', 'organisation', 'place'], ['robot']),
  value: claimValue,
  assertedOn: date,
  period,
  sources: fc.array(source, { maxLength: 2 }),
  source,
  confidence,
  inferredFrom: fc.array(text, { maxLength: 2 }),
};

const BODIES: readonly { dto: new () => object; body: fc.Arbitrary<Json> }[] = [
  { dto: RecordFactDto, body: record(factFields, { id, confidence, subjects: marks }) },
  {
    dto: AssertClaimDto,
    body: record(
      { claimant: claimFields.claimant, value: claimValue, assertedOn: date },
      { id, claimantType: claimFields.claimantType, period, sources: claimFields.sources, source, confidence, inferredFrom: claimFields.inferredFrom, rank: record({ value: oneOf(['preferred', 'normal', 'deprecated'], ['top']) }, { reason: text }), subjects: marks },
    ),
  },
  { dto: CorrectFactDto, body: record({ reason: text, changes: record({}, { ...factFields, confidence }) }, { subjects: marks }) },
  { dto: CorrectClaimDto, body: record({ reason: text, changes: record({}, claimFields) }, { subjects: marks }) },
  { dto: DefineFigureDto, body: record({ name: text, unit: text, scope: record({ places: fc.array(text, { maxLength: 2 }) }, { period }) }, { id, description: text, subjects: marks }) },
  { dto: RankClaimDto, body: record({ reason: text, value: oneOf(['preferred', 'normal', 'deprecated'], ['top']) }) },
  { dto: ReasonDto, body: record({ reason: text }) },
  { dto: AddFactSourceDto, body: record({ publisher: text, title: text, url: text }, { publishedOn: date, quote: text, subjects: marks }) },
];

/** A change a client could make anywhere in a body: a key dropped, set to anything, or added. */
const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'set', 'add'),
  pick: fc.nat(),
  key: fc.constantFrom('extra', 'prototype', 'constructor', 'toString', 'hasOwnProperty', 'toCommand', 'marks', '__proto__', 'title', 'level', 'from', 'kind', 'name'),
  value: anyJson,
});

function mutate(generated: Json, changes: readonly { at: number; op: string; pick: number; key: string; value: Json }[]): Json {
  // Copies: fast-check shares its constants between values, and a change must not alias one into another.
  const body = structuredClone(generated);
  for (const { value, ...change } of changes.map((c) => ({ ...c, value: structuredClone(c.value) }))) {
    const nodes: (Json[] | { [key: string]: Json })[] = [];
    const walk = (value: Json) => {
      if (value === null || typeof value !== 'object') return;
      nodes.push(value);
      for (const child of Object.values(value)) walk(child);
    };
    walk(body);
    const node = nodes[change.at % nodes.length];
    if (Array.isArray(node)) {
      if (change.op === 'delete' && node.length > 0) node.splice(change.pick % node.length, 1);
      else if (change.op === 'set' && node.length > 0) node[change.pick % node.length] = value;
      else node.push(value);
      continue;
    }
    const keys = Object.keys(node);
    if (change.op === 'delete' && keys.length > 0) delete node[keys[change.pick % keys.length]];
    else if (change.op === 'set' && keys.length > 0) node[keys[change.pick % keys.length]] = value;
    // An own property even for __proto__, as JSON.parse makes it.
    else Object.defineProperty(node, change.key, { value, enumerable: true, writable: true, configurable: true });
  }
  return body;
}

const outcome = (pipes: readonly PipeTransform[], dto: new () => object, body: unknown) => pipeOutcome(pipes, 'body', dto, body);

/** The body as the server receives it: the JSON text through the app's own parser (which refuses `__proto__`). */
function received(body: Json): unknown {
  try {
    return parseJsonBody(Buffer.from(JSON.stringify(body)));
  } catch {
    return undefined;
  }
}

describe('compiled DTO validation', () => {
  const compiled = validationPipes();
  const classValidator = classValidatorPipes();

  for (const { dto, body } of BODIES) {
    it(`accepts and refuses the same ${dto.name} bodies as class-validator, naming the same fields`, async () => {
      const check = compiledValidator(dto);
      expect(check).toBeDefined();
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(body, fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })), async (generated, changes) => {
          const text = JSON.stringify(mutate(generated, changes));
          const sent = received(JSON.parse(text) as Json);
          if (sent === undefined) return;
          const [fast, slow] = [await outcome(compiled, dto, received(JSON.parse(text) as Json)), await outcome(classValidator, dto, sent)];
          expect(fast).toStrictEqual(slow);
          if ('dto' in slow) accepted++;
          // The hot path: a body as generated (no change made) that class-validator accepts is accepted compiled.
          if (changes.length === 0 && 'dto' in slow) expect(check?.(received(JSON.parse(text) as Json))).toStrictEqual(slow.dto);
        }),
        { numRuns: 500 },
      );
      // The generators must reach both answers, or the property says little.
      expect(accepted).toBeGreaterThan(5);
    });
  }

  it('leaves to class-validator what it does not mirror, and answers alike', async () => {
    for (const body of [null, [], 'text', 3, { title: 'x', prototype: 1 }, { reason: 'x', toString: 'y' }]) {
      expect(await outcome(compiled, ReasonDto, structuredClone(body))).toStrictEqual(await outcome(classValidator, ReasonDto, structuredClone(body)));
    }
  });
});
