import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { answerIn, obj, str } from '../api/openapi-schema';
import { IsBooleanString, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { IsLogPosition } from '../api/dto/log-position';
import { RequestValidationError } from '../api/problem';
import { writtenPositionOf } from '../api/positions/written-position';
import { ANONYMOUS, principalOf } from '../auth/auth.service';
import { Role } from '../auth/role.decorator';
import { DomainError } from '../domain/errors';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { exportLog } from '../export/log-ndjson';
import { Importer, type RecordKind } from '../import/importer';
import { IMPORT_FORMATS, readRecords, RECORD_KINDS, UnreadableFileError, type ImportFormat } from '../import/read-records';
import { RebuildRunningError, ReadModels } from '../projections/read-models';

export class ImportQueryDto {
  @IsIn(IMPORT_FORMATS) format!: ImportFormat;
  @IsOptional() @IsIn(RECORD_KINDS) kind?: RecordKind;
  @IsOptional() @IsBooleanString() sync?: string;
  @IsOptional() @IsBooleanString() dryRun?: string;
  @IsOptional() @IsString() @MaxLength(2000) reason?: string;
}

export class LogQueryDto {
  @IsOptional() @IsLogPosition({ message: '$property must be a log position: a whole number from 0 to 9223372036854775807' }) from?: string;
}

/**
 * Operations over HTTP, for `annals --url`: rebuild the read models, import a file, export the
 * log. Every one of them changes or reveals the whole record: they need the admin role.
 */
@ApiTags('admin')
@Role('admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly readModels: ReadModels,
    private readonly importer: Importer,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** Rebuilds the read models into a new file while these keep answering, then swaps them in. 202; progress on /health. */
  @Post('rebuild')
  @ApiAcceptedResponse(answerIn({ 'application/json': obj({ rebuild: { type: 'object', description: 'the rebuild as /health reports it' } }, ['rebuild']) }))
  @HttpCode(202)
  rebuild() {
    try {
      const { status, done } = this.readModels.rebuild();
      done.catch(() => undefined);
      return { rebuild: status };
    } catch (error) {
      if (error instanceof RebuildRunningError) throw new DomainError('conflict', error.message, 'rebuild');
      throw error;
    }
  }

  /** Imports the body (CSV, NDJSON or the JSON import shape) through the write path; answers the summary. */
  @Post('import')
  @ApiCreatedResponse(answerIn({ 'application/json': { type: 'object', description: 'the import summary: records written, skipped and refused, each refusal with its reason' } }))
  async import(@Query() query: ImportQueryDto, @Body() body: unknown, @Req() request: FastifyRequest) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    let read;
    try {
      read = readRecords(text, query.format, query.kind);
    } catch (error) {
      if (error instanceof UnreadableFileError) throw new RequestValidationError([{ field: 'body', reason: error.message }]);
      throw error;
    }
    return this.importer.run(
      read.records,
      // The actor is the key's name, as for every write (never a claim the client makes).
      { actor: principalOf(request)?.name ?? ANONYMOUS, reason: query.reason, sync: query.sync === 'true', dryRun: query.dryRun === 'true', written: writtenPositionOf(request) },
      read.unreadable,
    );
  }

  /** The log as NDJSON, every event with its metadata, position and record time (what `annals restore` reads). */
  @Get('export/log')
  @ApiOkResponse(answerIn({ 'application/x-ndjson': str('one RecordedEvent as JSON a line, in log order (what annals restore reads)') }))
  exportLog(@Query() query: LogQueryDto, @Res() reply: FastifyReply) {
    const from = query.from === undefined ? 'start' : BigInt(query.from);
    void reply.header('content-type', 'application/x-ndjson; charset=utf-8').send(Readable.from(exportLog(this.store, from)));
  }
}
