import { Client } from 'pg';
import { failoverClient, planHosts } from '../../../src/event-store/postgres/multi-host';

/** libpq's multi-host connection strings, read into one single-host string per host for node-postgres. */
describe('multi-host connection strings', () => {
  it('splits hosts in the authority, keeping user, database and other parameters, and reads target_session_attrs', () => {
    expect(planHosts('postgresql://annals@db1:5432,db2:5433/annals?target_session_attrs=read-write&application_name=x')).toEqual({
      urls: ['postgresql://annals@db1:5432/annals?application_name=x', 'postgresql://annals@db2:5433/annals?application_name=x'],
      readWrite: true,
    });
  });

  it('splits unix-socket hosts given as the host parameter, with a port each or one for all', () => {
    expect(planHosts('postgresql://postgres@localhost/x?host=%2Ftmp%2Fa,%2Ftmp%2Fb&port=5432,5433&target_session_attrs=read-write')).toEqual({
      urls: ['postgresql://postgres@localhost/x?host=%2Ftmp%2Fa&port=5432', 'postgresql://postgres@localhost/x?host=%2Ftmp%2Fb&port=5433'],
      readWrite: true,
    });
    expect(planHosts('postgresql://postgres@localhost/x?host=/tmp/a,/tmp/b').urls).toEqual([
      'postgresql://postgres@localhost/x?host=%2Ftmp%2Fa',
      'postgresql://postgres@localhost/x?host=%2Ftmp%2Fb',
    ]);
  });

  it("answers a single-host string unchanged, with pg's own Client", () => {
    const plan = planHosts('postgresql://annals:secret@db.internal:5432/annals?sslmode=require');
    expect(plan).toEqual({ urls: ['postgresql://annals:secret@db.internal:5432/annals?sslmode=require'], readWrite: false });
    expect(failoverClient(plan)).toBe(Client);
    expect(failoverClient(planHosts('postgresql://a@h1,h2/d'))).not.toBe(Client);
  });
});
