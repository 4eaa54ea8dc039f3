import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { answer } from './openapi-schema';
import { FigureQueries } from '../projections/figures/figures.queries';
import { TimelineQueries, type TimelineFilter } from '../projections/timeline/timeline.queries';

const IN_EFFECT_LIMIT = 20;
const FIGURES_LIMIT = 10;
import { LIST_CLAIMS, TimelineQueryDto } from './dto/query.dto';
import { Citable } from './citable';

@ApiTags('timeline')
@Controller('timeline')
export class TimelineController {
  constructor(
    private readonly timeline: TimelineQueries,
    private readonly figures: FigureQueries,
  ) {}

  /**
   * Facts in valid-time order, filtered and paged. With `asOf`, the world on that day: the facts
   * that had happened by then, the states in effect then (`inEffect`, at most 20) and, on the first
   * page, figures with each claimant's latest claim asserted by then (`figures`, at most 10). With
   * `knownAt`, all of it as the service said it at that instant.
   */
  @Get()
  @ApiOkResponse(answer('TimelinePage'))
  @Citable()
  get(@Query() query: TimelineQueryDto) {
    const { asOf, knownAt } = query.clocks();
    const filter = { ...query, asOf, knownAt };
    const page = this.timeline.timeline(filter);
    return { asOf: asOf ?? null, knownAt: knownAt?.toISOString() ?? null, ...page, ...(asOf === undefined ? {} : this.world(query, filter, asOf)) };
  }

  /**
   * The rest of the world on `asOf`, bounded so that the answer does not grow with the log: the
   * states in effect that began most recently and, on the first page, the first figures with their
   * latest claims. `inEffectMore` / `figuresMore` say there are others (GET /figures?asOf= pages them).
   */
  private world(query: TimelineQueryDto, filter: TimelineFilter, asOf: string) {
    const inEffect = this.timeline.inEffect(asOf, filter, IN_EFFECT_LIMIT);
    const world = { inEffect: inEffect.items, inEffectMore: inEffect.more };
    if (query.cursor !== undefined) return world;
    const figures = this.figures.figurePage({ asOf, knownAt: filter.knownAt }, FIGURES_LIMIT, 0, '', LIST_CLAIMS.default);
    return { ...world, figures: figures.items, figuresMore: figures.more };
  }
}
