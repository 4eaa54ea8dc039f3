import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FigureQueries } from '../projections/figures/figures.queries';
import { TimelineQueries } from '../projections/timeline/timeline.queries';
import { TimelineQueryDto } from './dto/query.dto';

@ApiTags('timeline')
@Controller('timeline')
export class TimelineController {
  constructor(
    private readonly timeline: TimelineQueries,
    private readonly figures: FigureQueries,
  ) {}

  /**
   * Facts in valid-time order, filtered and paged. With `asOf`, the world on that day: the facts
   * that had happened by then, the states in effect then (`inEffect`) and, on the first page, each
   * figure's latest claim per claimant asserted by then (`figures`). With `knownAt`, all of it as
   * the service said it at that instant.
   */
  @Get()
  get(@Query() query: TimelineQueryDto) {
    const { asOf, knownAt } = query.clocks();
    const filter = { ...query, asOf, knownAt };
    const page = this.timeline.timeline(filter);
    const world = asOf === undefined ? {} : {
      inEffect: this.timeline.inEffect(asOf, filter),
      ...(query.cursor === undefined ? { figures: this.figures.figures({ asOf, knownAt }, 100, 0) } : {}),
    };
    return { asOf: asOf ?? null, knownAt: knownAt?.toISOString() ?? null, ...page, ...world };
  }
}
