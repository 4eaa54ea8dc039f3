import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

// No Docker engine runs here, but `docker-compose config` validates and resolves the file without
// one. .ci/install-test-tools.sh installs Debian's docker-compose; where it is missing, say so.
const describeWithCompose = hasCompose ? describe : describe.skip;

describeWithCompose(hasCompose ? 'docker-compose.yml' : 'docker-compose.yml (skipped: docker-compose not installed; .ci/install-test-tools.sh installs it)', () => {
  it('is accepted by docker-compose config and points the service at the EventStoreDB node', () => {
    const resolved = execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config'], { encoding: 'utf8' });
    expect(resolved).toMatch(/eventstore\/eventstore:/);
    expect(resolved).toMatch(/ANNALS_STORE: eventstoredb/);
    expect(resolved).toMatch(/EVENTSTORE_CONNECTION_STRING: esdb:\/\/eventstore:2113\?tls=false/);
    expect(resolved).toMatch(/condition: service_healthy/);
    // Open writes (no keys) are accepted only because the port is published on the host's loopback alone.
    expect(resolved).toMatch(/ANNALS_ALLOW_OPEN_WRITES: ['"]?true/);
    // docker-compose v1 keeps the short form; v2 spells it out as host_ip.
    expect(resolved).toMatch(/127\.0\.0\.1:3000:3000|host_ip: 127\.0\.0\.1/);
  });
});
