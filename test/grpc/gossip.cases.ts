import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { credentials } from '@grpc/grpc-js';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { GossipClient } from '@eventstore/db-client/generated/gossip_grpc_pb';
import { ClusterInfo, MemberInfo } from '@eventstore/db-client/generated/gossip_pb';
import { randomUUID } from 'node:crypto';
import { parseAuthority } from '../../src/grpc/gossip';
import { GrpcTestEndpoint, startGrpcEndpoint } from '../support/grpc-endpoint';

/** Clients that discover a cluster ask Gossip.Read for its members: Annals is a cluster of one, its leader. */
describe("Annals' EventStoreDB endpoint: gossip", () => {
  let endpoint: GrpcTestEndpoint;

  beforeAll(async () => {
    endpoint = await startGrpcEndpoint();
  });
  afterAll(() => endpoint.stop());

  it('lists one member, alive and the leader, at the address the client dialled', async () => {
    const gossip = new GossipClient(`127.0.0.1:${endpoint.server.port}`, credentials.createInsecure());
    try {
      const info = await new Promise<ClusterInfo>((resolve, reject) => gossip.read(new Empty(), (error, response) => (error ? reject(error) : resolve(response))));
      const members = info.getMembersList();
      expect(members).toHaveLength(1);
      expect(members[0].getState()).toBe(MemberInfo.VNodeState.LEADER);
      expect(members[0].getIsAlive()).toBe(true);
      expect(members[0].getHttpEndPoint()?.toObject()).toEqual({ address: '127.0.0.1', port: endpoint.server.port });
    } finally {
      gossip.close();
    }
  });

  it.each([
    ['discovery', (port: number) => `esdb+discover://127.0.0.1:${port}?tls=false`],
    ['several hosts', (port: number) => `esdb://127.0.0.1:${port},localhost:${port}?tls=false&nodePreference=leader`],
  ])('serves a client that connects by %s, appending and reading through the member it picked', async (_, connection) => {
    const client = EventStoreDBClient.connectionString(connection(endpoint.server.port!));
    try {
      const stream = `found-${randomUUID()}`;
      await client.appendToStream(stream, jsonEvent({ type: 'Found', data: { ok: true } }));
      const read = [];
      for await (const { event } of client.readStream(stream)) read.push(event?.data);
      expect(read).toEqual([{ ok: true }]);
    } finally {
      await client.dispose();
    }
  });

  it('reads the authority of a call, IPv6 included, and nothing else', () => {
    expect(parseAuthority('127.0.0.1:2113')).toEqual({ host: '127.0.0.1', port: 2113 });
    expect(parseAuthority('[::1]:2113')).toEqual({ host: '::1', port: 2113 });
    expect(parseAuthority('localhost')).toBeUndefined();
    expect(parseAuthority('host:99999')).toBeUndefined();
  });
});
