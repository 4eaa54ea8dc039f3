import { describeDatabaseKill } from '../support/failover';

/**
 * Three replicas over one PostgreSQL log, twenty writers spread over them, and the database killed
 * with kill -9 under that load, then started again in place: every write a replica acknowledged is in
 * the log, the replicas follow it again by themselves and answer alike, the checkpoints signed after the
 * crash extend the one kept before it, and each webhook is delivered once (test/support/failover.ts).
 * The standby promoted instead: replicas-failover-standby.e2e.spec.ts; the replica holding the watch
 * lease killed: replicas-lease-kill.e2e.spec.ts (one scenario a file, so that two workers share them).
 */
describeDatabaseKill('the database restarted in place');
