import { status } from '@grpc/grpc-js';
import { ReadReq } from '@eventstore/db-client/generated/streams_pb';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { toAllFilter } from '../../../src/grpc/grpc-filter';

const expression = (regex: string, prefixes: string[] = []) => new ReadReq.Options.FilterOptions.Expression().setRegex(regex).setPrefixList(prefixes);
const fact = { streamId: 'fact-baghouz', type: 'FactRecorded' };
const claim = { streamId: 'figure-toll', type: 'ClaimAsserted' };

describe("the gRPC front end's $all filters", () => {
  it('matches stream names by prefix, and event types by an unanchored regex as EventStoreDB does', () => {
    const byPrefix = toAllFilter(new ReadReq.Options.FilterOptions().setStreamIdentifier(expression('', ['fact-'])).setCount(new Empty()));
    if ('code' in byPrefix) throw byPrefix;
    expect([fact, claim].map(byPrefix.matches)).toEqual([true, false]);
    const byRegex = toAllFilter(new ReadReq.Options.FilterOptions().setEventType(expression('Asserted|Retracted')).setCount(new Empty()));
    if ('code' in byRegex) throw byRegex;
    expect([fact, claim].map(byRegex.matches)).toEqual([false, true]);
  });

  it('checkpoints every multiplier × window events, the window being 32 unless the client sets a maximum', () => {
    const counted = toAllFilter(new ReadReq.Options.FilterOptions().setEventType(expression('x')).setCount(new Empty()).setCheckpointintervalmultiplier(3));
    const bounded = toAllFilter(new ReadReq.Options.FilterOptions().setEventType(expression('x')).setMax(10).setCheckpointintervalmultiplier(2));
    expect([counted, bounded].map((f) => ('checkpointInterval' in f ? f.checkpointInterval : undefined))).toEqual([96, 20]);
  });

  it('answers INVALID_ARGUMENT to a regex JavaScript cannot compile', () => {
    const filter = toAllFilter(new ReadReq.Options.FilterOptions().setEventType(expression('(unclosed')).setCount(new Empty()));
    expect(filter).toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});
