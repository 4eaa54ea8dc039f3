import { Body, Controller, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { INTEGRITY_ANSWERS } from './integrity.answers';
import { answerIn } from './openapi-schema';
import { Role } from '../auth/role.decorator';
import { invalid } from '../domain/errors';
import { ReasonDto } from './dto/common.dto';
import { Write } from './write-context.decorator';
import type { WriteContext } from './command-gateway';
import { ConsistencyQueryDto, InclusionQueryDto } from './dto/integrity.dto';
import { IntegrityService } from '../integrity/integrity.service';
import { ProofsService } from '../integrity/proofs.service';
import { parseVerifierKey } from '../integrity/signed-note';

/** What a client needs to check the record without trusting the server: checkpoints, the key, proofs. */
@ApiTags('integrity')
@Controller('integrity')
export class IntegrityController {
  constructor(
    private readonly integrity: IntegrityService,
    private readonly proofs: ProofsService,
  ) {}

  /** The latest signed checkpoint as a C2SP tlog-checkpoint signed note (what tlog tools read). */
  @Get('checkpoint')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.checkpoint))
  @Role('public')
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiProduces('text/plain')
  checkpoint(): string {
    return this.integrity.latestCheckpoint().note;
  }

  /** The same checkpoint as JSON, with the instant it stands for (the record time of its last event). */
  @Get('checkpoint.json')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.checkpointJson))
  @Role('public')
  checkpointJson() {
    const { note, head } = this.integrity.latestCheckpoint();
    const { time, position } = this.proofs.timeOf(head.size);
    return {
      origin: head.origin,
      treeSize: head.size,
      rootHash: head.rootHash.toString('base64'),
      time: time?.toISOString() ?? null,
      lastPosition: position?.toString() ?? null,
      note,
      verifierKey: this.integrity.verifierKey,
    };
  }

  /** The checkpoint signing key: Ed25519, with its signed-note verifier key. */
  @Get('public-key')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.publicKey))
  @Role('public')
  publicKey() {
    const verifierKey = this.integrity.verifierKey;
    const key = parseVerifierKey(verifierKey);
    return { algorithm: 'Ed25519', name: key.name, keyId: key.keyId.toString('hex'), publicKey: key.publicKey.toString('base64'), verifierKey };
  }

  /** The verifier key alone, `<name>+<key id>+<base64>`, as signed-note tools take it. */
  @Get('verifier-key')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.verifierKey))
  @Role('public')
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiProduces('text/plain')
  verifierKey(): string {
    return `${this.integrity.verifierKey}\n`;
  }

  /** Proof that an event (by id or position) is in the tree of `treeSize` events (default: the latest checkpoint). */
  @Get('inclusion')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.inclusion))
  inclusion(@Query() query: InclusionQueryDto) {
    if ((query.eventId === undefined) === (query.position === undefined)) {
      throw invalid('give either eventId or position', query.eventId === undefined ? 'eventId' : 'position');
    }
    return this.proofs.inclusion({ eventId: query.eventId, position: query.position === undefined ? undefined : BigInt(query.position) }, query.treeSize);
  }

  /** Proof that the tree of `to` events (default: the latest checkpoint) extends the tree of `from`. */
  @Get('consistency')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.consistency))
  consistency(@Query() query: ConsistencyQueryDto) {
    return this.proofs.consistency(query.from, query.to);
  }
}

/** Admin operations: they change or reveal the state of the record itself. */
@ApiTags('admin')
@Role('admin')
@Controller('admin')
export class IntegrityAdminController {
  constructor(private readonly integrity: IntegrityService) {}

  /** Walks the whole store, recomputes every chain and the tree, and names the first mismatch. */
  @Post('verify')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.verify))
  @HttpCode(200)
  verify() {
    return this.integrity.verify();
  }

  /** Whether the record passed its check at start, and if not, why. */
  @Get('integrity')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.integrity))
  state() {
    return this.integrity.state;
  }

  /** Accepts the log as it now is after a failed check; recorded as an event in `annals-integrity`. */
  @Post('integrity/acknowledge')
  @ApiOkResponse(answerIn(INTEGRITY_ANSWERS.acknowledge))
  @HttpCode(200)
  acknowledge(@Body() body: ReasonDto, @Write() context: WriteContext) {
    return this.integrity.acknowledge(body.reason.trim(), context.actor?.trim() || 'anonymous');
  }
}
