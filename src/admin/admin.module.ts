import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ImportModule } from '../import/import.module';
import { ErasureController, WithholdingController } from '../erasure/erasure.controller';
import { AdminController } from './admin.controller';

/** Files sent to POST /admin/import: read as text, up to this size (the JSON body limit stays as it is for every other route). */
export const IMPORT_CONTENT_TYPES = ['text/csv', 'application/x-ndjson', 'application/vnd.annals.import+json'];
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

@Module({ imports: [ImportModule], controllers: [AdminController, ErasureController, WithholdingController] })
export class AdminModule implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance() as FastifyInstance | undefined;
    if (!fastify || fastify.hasContentTypeParser('text/csv')) return;
    fastify.addContentTypeParser(IMPORT_CONTENT_TYPES, { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) => done(null, body));
  }
}
