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

  describe('the postgres profile', () => {
    const resolved = () => execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), '--profile', 'postgres', 'config'], { encoding: 'utf8' });
    /** One service's block of the resolved file (two-space indented under `services:`). */
    const service = (text: string, name: string) => text.match(new RegExp(`^  ${name}:\\n((?:    .*\\n|\\s*\\n)*)`, 'm'))?.[1] ?? '';

    it('runs Annals over a PostgreSQL service, once it is healthy', () => {
      const text = resolved();
      const postgres = service(text, 'postgres');
      const annals = service(text, 'annals-postgres');
      expect(postgres).toMatch(/image: postgres:\d+/);
      expect(postgres).toMatch(/pg_isready/);
      expect(annals).toMatch(/ANNALS_STORE: postgres/);
      expect(annals).toMatch(/ANNALS_POSTGRES_URL: postgresql:\/\/annals:[^@\s]+@postgres:5432\/annals/);
      expect(annals).toMatch(/postgres:\n\s+condition: service_healthy/);
    });

    it('publishes every port of the profile on the host loopback only', () => {
      const text = resolved();
      for (const name of ['postgres', 'annals-postgres']) {
        const lines = service(text, name).split('\n');
        const at = lines.findIndex((line) => /^\s+ports:$/.test(line));
        expect(at).toBeGreaterThan(-1);
        const indent = lines[at].search(/\S/);
        const block = lines.slice(at + 1, lines.findIndex((line, i) => i > at && line.trim() !== '' && (line.search(/\S/) < indent || (line.search(/\S/) === indent && !line.trim().startsWith('- ')))) >>> 0);
        // Entries may sit at the key's own indent (v1). One entry per `- `: the short form (v1) on its line, the long form (v2) with its keys below it.
        const entries = block.join('\n').split(/\n(?=\s*- )/).filter((entry) => entry.trim().startsWith('-'));
        expect(entries.length).toBeGreaterThan(0);
        for (const entry of entries) expect(entry).toMatch(/- 127\.0\.0\.1:\d+:\d+|host_ip: 127\.0\.0\.1/);
      }
    });
  });
});

