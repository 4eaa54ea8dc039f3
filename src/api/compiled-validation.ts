import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- class-transformer's decorator metadata has no public entry point
const { defaultMetadataStorage: transformMetadata } = require('class-transformer/cjs/storage') as typeof import('class-transformer/types/storage');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the enum lives beside it
const { TransformationType } = require('class-transformer/cjs/enums') as typeof import('class-transformer/types/enums');

/**
 * A DTO's class-validator rules, read once from its decorators and run as one plain function over a
 * request body: the write path's hot case (a valid body) without class-transformer's and
 * class-validator's per-request walks of their metadata, promises and error objects. The DTO classes
 * stay the one source of the rules (and of the OpenAPI schemas): nothing here restates a rule, it
 * calls each decorator's own validator.
 *
 * It only ever says "valid, and here is the DTO instance" or "ask the ValidationPipe": every body it
 * does not accept (a broken rule, an unknown or stripped key, anything it does not mirror exactly) goes
 * through the ValidationPipe as before, which refuses it with the same problem+json, or accepts what
 * only it can (a `prototype` key it strips). So the answers are class-validator's by construction; a
 * property test (test/unit/api/compiled-validation.property.spec.ts) checks that both accept the same
 * bodies and build the same instances.
 *
 * What it mirrors, for the ValidationPipe's options (transform, whitelist + forbidNonWhitelisted, no
 * groups): class-transformer's plainToInstance (`new Dto()`, each key copied, @Type'd values built as
 * their class, arrays copied) and class-validator's executor (IsOptional and other conditions, each
 * decorator's validator with `each`, ValidateNested over objects and arrays). A class using anything
 * else (@Expose, @Exclude, typed discriminators, async or grouped rules) is not compiled: its bodies
 * all take the ValidationPipe. A key with a @Transform, or a @Type to a class without rules (a query's
 * `@Type(() => Number)`), is not mirrored either: an object holding it takes the pipe, one without it
 * (class-transformer transforms only the keys an object holds) is checked here. Queries are checked
 * the same way as bodies (src/api/validation.ts): the reads' hot case is a query of strings alone.
 */

type Instance = Record<string, unknown>;
type DtoClass = new () => object;

interface Check {
  readonly validate: (value: unknown, args: ValidationArguments) => unknown;
  readonly each: boolean;
  readonly constraints: unknown[];
  readonly validateIf?: (object: object, value: unknown) => boolean;
}

interface Property {
  readonly name: string;
  readonly conditions: readonly ((object: object, value: unknown) => boolean)[];
  /** IS_DEFINED rules first, then the others, as the executor runs them. */
  readonly checks: readonly Check[];
  readonly nested: boolean;
  /** The @Type class of the property's value (or of each item of an array), compiled on first use. */
  readonly type?: () => Compiled | undefined;
  /** A @Transform the check does not mirror: an object holding this key is the pipe's. */
  readonly transformed: boolean;
}

interface Compiled {
  readonly cls: DtoClass;
  readonly properties: ReadonlyMap<string, Property>;
}

/** Names a plain object inherits: a body key so named is the InheritedNamesPipe's to refuse. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

const compiled = new Map<unknown, Compiled | null>();

/**
 * The compiled check of a DTO class, or undefined when the class uses something it does not mirror.
 * The check answers the DTO instance the ValidationPipe would, or undefined: "ask the pipe".
 */
export function compiledValidator<T extends object>(cls: new () => T): ((body: unknown) => T | undefined) | undefined {
  const dto = compile(cls);
  if (!dto) return undefined;
  return (body) => {
    try {
      const instance = build(dto, body);
      return instance && valid(dto, instance) ? (instance as T) : undefined;
    } catch {
      // A validator that throws does so again in the pipe, which answers for it.
      return undefined;
    }
  };
}

function compile(cls: DtoClass): Compiled | undefined {
  if (compiled.has(cls)) return compiled.get(cls) ?? undefined;
  compiled.set(cls, null); // a cycle through @Type is compiled lazily; until then, not compilable
  const result = compileClass(cls);
  compiled.set(cls, result ?? null);
  return result;
}

function compileClass(cls: DtoClass): Compiled | undefined {
  const storage = getMetadataStorage();
  // The executor's own query: no groups, always false, strictGroups false (the ValidationPipe's options).
  const metadatas = storage.getTargetValidationMetadatas(cls, '', false, false, undefined);
  if (metadatas.length === 0) return undefined;
  if (transformMetadata.getStrategy(cls) !== 'none' || transformMetadata.getExposedMetadatas(cls).length > 0 || transformMetadata.getExcludedMetadatas(cls).length > 0) return undefined;
  const grouped = new Map<string, ValidationMetadata[]>();
  for (const m of metadatas) {
    if (typeof m.target === 'string' || m.groups?.length) return undefined;
    grouped.set(m.propertyName, [...(grouped.get(m.propertyName) ?? []), m]);
  }
  // Fields a `new Dto()` sets itself would be whitelisted by the executor: none is expected.
  if (Object.keys(new cls()).some((key) => !grouped.has(key))) return undefined;
  const properties = new Map<string, Property>();
  for (const [name, group] of grouped) {
    // class-transformer skips a key that names a method or getter of the class; the pipe refuses an inherited name.
    if (INHERITED.has(name) || name in cls.prototype || name === '__proto__') return undefined;
    // class-transformer runs a @Transform only on a key the object holds: without it, the rest is mirrored.
    const transformed = transformMetadata.findTransformMetadatas(cls, name, TransformationType.PLAIN_TO_CLASS).length > 0;
    const property = compileProperty(cls, name, group, transformed);
    if (!property) return undefined;
    properties.set(name, property);
  }
  return { cls, properties };
}

function compileProperty(cls: DtoClass, name: string, group: readonly ValidationMetadata[], transformed: boolean): Property | undefined {
  const storage = getMetadataStorage();
  const conditions: ((object: object, value: unknown) => boolean)[] = [];
  const defined: Check[] = [];
  const custom: Check[] = [];
  let nested = false;
  for (const m of group) {
    switch (m.type) {
      case ValidationTypes.CONDITIONAL_VALIDATION:
        conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
        break;
      case ValidationTypes.NESTED_VALIDATION:
        nested = true;
        break;
      case ValidationTypes.WHITELIST:
        break;
      case ValidationTypes.IS_DEFINED:
      case ValidationTypes.CUSTOM_VALIDATION: {
        const validateIf = (m as { validateIf?: (object: object, value: unknown) => boolean }).validateIf;
        for (const constraint of storage.getTargetValidatorConstraints(m.constraintCls)) {
          if (constraint.async) return undefined;
          const instance = constraint.instance as { validate: (value: unknown, args: ValidationArguments) => unknown };
          const check: Check = { validate: (value, args) => instance.validate(value, args), each: m.each === true, constraints: m.constraints, ...(validateIf ? { validateIf } : {}) };
          (m.type === ValidationTypes.IS_DEFINED ? defined : custom).push(check);
        }
        break;
      }
      default:
        return undefined; // promise validation and anything newer: the pipe's
    }
  }
  const typeMetadata = transformMetadata.findTypeMetadata(cls, name);
  if (typeMetadata && (typeMetadata.options?.discriminator || !typeMetadata.typeFunction || typeMetadata.typeFunction.length > 0)) return undefined;
  // A nested rule without @Type would validate a plain object (no rules: refused as an unknown value); left to the pipe.
  if (nested && !typeMetadata) return undefined;
  const typeOf = typeMetadata ? (typeMetadata.typeFunction as () => DtoClass) : undefined;
  return {
    name,
    conditions,
    checks: [...defined, ...custom],
    nested,
    transformed,
    ...(typeOf ? { type: () => compile(typeOf()) } : {}),
  };
}

function isPlainObject(value: unknown): value is Instance {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === Object.prototype || proto === null || emptyRoot(proto);
}

/** A prototype that adds nothing and ends the chain: how Fastify's query parser (fast-querystring) makes its objects. */
function emptyRoot(proto: object): boolean {
  return Object.getPrototypeOf(proto) === null && Reflect.ownKeys(proto).length === 0;
}

const isPrimitive = (value: unknown) => value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** plainToInstance for the bodies it mirrors (JSON: plain objects, arrays, primitives); undefined otherwise. */
function build(dto: Compiled, plain: unknown): Instance | undefined {
  if (!isPlainObject(plain)) return undefined;
  const instance = new dto.cls() as Instance;
  for (const key of Object.keys(plain)) {
    const property = dto.properties.get(key);
    if (!property || property.transformed) return undefined;
    const value = plain[key];
    let copy: unknown;
    if (property.type) {
      const type = property.type();
      if (!type) return undefined;
      if (Array.isArray(value)) {
        const items: Instance[] = [];
        for (const item of value) {
          const built = build(type, item);
          if (!built) return undefined;
          items.push(built);
        }
        copy = items;
      } else if (value === null) copy = null;
      else if (!(copy = build(type, value))) return undefined;
    } else if (Array.isArray(value)) {
      if (!value.every(isPrimitive)) return undefined;
      copy = [...value];
    } else if (isPrimitive(value)) copy = value;
    else return undefined;
    instance[key] = copy;
  }
  return instance;
}

/** class-validator's verdict on an instance built above: true when it would report no error. */
function valid(dto: Compiled, instance: Instance): boolean {
  for (const property of dto.properties.values()) {
    const value = instance[property.name];
    if (!property.conditions.every((condition) => condition(instance, value))) continue;
    const args: ValidationArguments = { targetName: dto.cls.name, property: property.name, object: instance, value, constraints: [] };
    for (const check of property.checks) {
      if (check.validateIf && !check.validateIf(instance, value)) continue;
      const checked = { ...args, constraints: check.constraints };
      const values = check.each && Array.isArray(value) ? value : [value];
      for (const item of values) {
        const result = check.validate(item, checked);
        if (!result || (typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function')) return false;
      }
    }
    if (property.nested && value !== undefined && !nestedValid(value)) return false;
  }
  return true;
}

/** ValidateNested: an instance by its own class's rules, an array item by item (an absent item passes). */
function nestedValid(value: unknown): boolean {
  if (Array.isArray(value)) return value.every((item) => item === undefined || nestedValid(item));
  if (typeof value !== 'object' || value === null) return false;
  const dto = compiled.get(value.constructor);
  return dto !== undefined && dto !== null && valid(dto, value as Instance);
}
