/**
 * A stored event type, declared once beside its payload type (fact/fact.events.ts,
 * figure/figure.events.ts) and listed in domain-events.ts. Everything that must know the domain's
 * types reads the declarations: the read path's upcasters (upcast.ts), who may write them
 * (event-store/stream-ownership.ts), which read models apply them (projections), their schemas in
 * the OpenAPI document (api/openapi.ts) and their words on the page (served at /events/types).
 */
export interface EventTypeDeclaration<Type extends string = string> {
  /** The stored type string: the TypeScript name, never renamed (a new shape is a new upcaster). */
  readonly type: Type;
  /** The stream category that holds it: `figure` for `figure-<id>`. */
  readonly category: string;
  /** What it records, in one line: the OpenAPI document says it. */
  readonly summary: string;
  /** The page's word for it: a badge on a changed card, a line of a history. */
  readonly label: string;
  /** The read models (by name) that apply it; the others never see it. */
  readonly readModels: readonly string[];
  /** Older stored shapes of its data read as today's, applied in order on the read path; each returns its input when it has nothing to do. */
  readonly upcasters?: readonly ((data: unknown) => unknown)[];
  /** Its data as a JSON Schema (OpenAPI 3.0), naming the document's shared schemas by `$ref: '#/components/schemas/<Name>'`. */
  readonly schema: Readonly<Record<string, unknown>>;
}

/** Declares an event type; the literal type is kept, so a category's list of types can be derived from its declarations. */
export function eventType<Type extends string>(declaration: EventTypeDeclaration<Type>): EventTypeDeclaration<Type> {
  return declaration;
}

/** JSON Schema building blocks for the declarations (kept tiny: the shared shapes live in the OpenAPI document). */
export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const stringSchema = { type: 'string' } as const;
export const objectSchema = (properties: Record<string, unknown>, required: readonly string[]) => ({ type: 'object', properties, required: [...required] });
