import { describeDatabaseKill } from '../support/failover';

/**
 * As replicas-failover.e2e.spec.ts, but the killed database is replaced by its synchronous standby,
 * promoted, which the replicas find through their multi-host connection string
 * (target_session_attrs=read-write): no acknowledged write is lost, since a commit was acknowledged
 * only once the standby had it on disk.
 */
describeDatabaseKill('its synchronous standby promoted');
