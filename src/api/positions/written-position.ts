import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import { POSITION_HEADER } from './position.guard';

/**
 * The highest log position a request wrote, gathered without threading it through every write
 * path: each write request runs in a scope of its own, and whatever appends on its behalf
 * (CommandGateway, a logout) notes the position it got. Outside a request (the command line, the
 * demo import's own loop) there is no scope and noting does nothing.
 */
const scope = new AsyncLocalStorage<{ position?: bigint }>();

export function noteWrittenPosition(position: bigint): void {
  const written = scope.getStore();
  if (written && (written.position === undefined || position > written.position)) written.position = position;
}

const READS = new Set(['GET', 'HEAD']);
const scopes = new WeakMap<FastifyRequest, { position?: bigint }>();

/**
 * Every write's answer, success or problem, names the position it reached in Annals-Position. Two
 * Fastify hooks rather than a Nest interceptor: the scope opens as the request arrives (so the rest
 * of its life, body parsing included, runs inside it: Fastify carries the async context across the
 * body's stream events) and the header is set as the answer is sent, whoever sends it.
 */
@Injectable()
export class WrittenPositionHooks {
  constructor(adapterHost: HttpAdapterHost) {
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // Added while the app is being created, before any route exists, so that they cover every route.
    fastify?.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      if (READS.has(request.method)) return done();
      const written: { position?: bigint } = {};
      scopes.set(request, written);
      scope.run(written, done);
    });
    fastify?.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
      const position = scopes.get(request)?.position;
      if (position !== undefined) void reply.header(POSITION_HEADER, position.toString());
      done(null, payload);
    });
  }
}
