import { randomUUID } from 'node:crypto';
import { UUID } from '@eventstore/db-client/generated/shared_pb';
import { ClusterInfo, EndPoint, MemberInfo } from '@eventstore/db-client/generated/gossip_pb';
import { toTicks } from './grpc-messages';

/**
 * Gossip.Read for a cluster of one: Annals is its only member, alive and always the leader, so that
 * clients that discover a cluster (`esdb+discover://`, or several hosts in the connection string)
 * pick it and connect. The member's endpoint is the one the client dialled (the call's authority),
 * since that address is known to reach this node; the bound address is the fallback.
 */
export class SingleNodeGossip {
  /** One instance id for the life of the process, as a node keeps its own. */
  private readonly instanceId = randomUUID();

  constructor(private readonly fallback: () => { host: string; port: number }) {}

  read(authority: string): ClusterInfo {
    const endpoint = parseAuthority(authority) ?? this.fallback();
    const member = new MemberInfo()
      .setInstanceId(new UUID().setString(this.instanceId))
      .setTimeStamp(toTicks(new Date()))
      .setState(MemberInfo.VNodeState.LEADER)
      .setIsAlive(true)
      .setHttpEndPoint(new EndPoint().setAddress(endpoint.host).setPort(endpoint.port));
    return new ClusterInfo().setMembersList([member]);
  }
}

/** `host:port` or `[v6]:port`, as HTTP/2's :authority carries it. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  const port = Number(match[3]);
  return port > 0 && port < 65536 ? { host: match[1] ?? match[2], port } : undefined;
}
