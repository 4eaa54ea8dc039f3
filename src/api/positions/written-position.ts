import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { POSITION_HEADER } from './position.guard';

/** The highest log position one write request reached: noted by whatever appends on its behalf. */
export interface WrittenPosition {
  position?: bigint;
}

const READS = new Set(['GET', 'HEAD']);
const written = new WeakMap<FastifyRequest, WrittenPosition>();

/**
 * The write request's holder, handed on explicitly in its WriteContext (src/api/write-context.decorator.ts)
 * to CommandGateway, which notes each position it appends at. Explicit rather than an AsyncLocalStorage
 * scope: the first `run` of any AsyncLocalStorage turns on V8's promise hooks for the whole process, for
 * good, so that after one write every promise of every later read paid for carrying the scope.
 * Undefined for a read (it writes nothing).
 */
export function writtenPositionOf(request: FastifyRequest): WrittenPosition | undefined {
  if (READS.has(request.method)) return undefined;
  let holder = written.get(request);
  if (!holder) written.set(request, (holder = {}));
  return holder;
}

export function noteWrittenPosition(holder: WrittenPosition | undefined, position: bigint): void {
  if (holder && (holder.position === undefined || position > holder.position)) holder.position = position;
}

/**
 * Every write's answer, success or problem, names the position it reached in Annals-Position: a Fastify
 * hook rather than a Nest interceptor, so the header is set as the answer is sent, whoever sends it.
 */
@Injectable()
export class WrittenPositionHooks {
  constructor(adapterHost: HttpAdapterHost) {
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // Added while the app is being created, before any route exists, so that it covers every route.
    fastify?.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
      const position = written.get(request)?.position;
      if (position !== undefined) void reply.header(POSITION_HEADER, position.toString());
      done(null, payload);
    });
  }
}
