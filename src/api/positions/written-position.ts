import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The highest log position a request wrote, gathered without threading it through every write
 * path: the position interceptor opens a scope around each write request's handler, and whatever
 * appends on its behalf (CommandGateway, a logout) notes the position it got. Outside a request
 * (the command line, the demo import's own loop) there is no scope and noting does nothing.
 */
const scope = new AsyncLocalStorage<{ position?: bigint }>();

export function noteWrittenPosition(position: bigint): void {
  const written = scope.getStore();
  if (written && (written.position === undefined || position > written.position)) written.position = position;
}

/** Runs `work` in a fresh scope; `written.position` is what it wrote, once it has written. */
export function withWrittenPosition<T>(work: () => T): { written: { position?: bigint }; result: T } {
  const written: { position?: bigint } = {};
  return { written, result: scope.run(written, work) };
}
