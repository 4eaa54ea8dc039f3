import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
      const ports = publishedPorts(resolved()).filter((p) => ['postgres', 'annals-postgres'].includes(p.service));
      expect(ports.map((p) => p.service).sort()).toEqual(['annals-postgres', 'postgres']);
      expect(ports.filter((p) => !LOOPBACK.includes(p.hostIp ?? ''))).toEqual([]);
    });
  });

  describe('the replicas profile', () => {
    const resolved = () => execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), '--profile', 'replicas', 'config'], { encoding: 'utf8' });
    const service = (text: string, name: string) => text.match(new RegExp(`^  ${name}:\\n((?:    .*\\n|\\s*\\n)*)`, 'm'))?.[1] ?? '';

    it('runs two replicas over the one PostgreSQL, with one signing key and session secret and their own read models', () => {
      const text = resolved();
      const [one, two] = ['annals-replica-1', 'annals-replica-2'].map((name) => service(text, name));
      for (const replica of [one, two]) {
        expect(replica).toMatch(/ANNALS_STORE: postgres/);
        expect(replica).toMatch(/ANNALS_POSTGRES_URL: postgresql:\/\/annals:[^@\s]+@postgres:5432\/annals/);
        expect(replica).toMatch(/ANNALS_SIGNING_KEY_FILE: \/shared\/signing-key/);
        expect(replica).toMatch(/ANNALS_SESSION_SECRET_FILE: \/shared\/session-secret/);
        expect(replica).toMatch(/replica-shared:\/shared/);
        expect(replica).toMatch(/replica-secrets:\n\s+condition: service_completed_successfully/);
      }
      expect(one).toMatch(/annals-replica-1-data:\/data/);
      expect(two).toMatch(/annals-replica-2-data:\/data/);
    });

    it('serves both behind one port on the host loopback, and only that port', () => {
      const ports = publishedPorts(resolved()).filter((p) => p.service.startsWith('annals-replica'));
      expect(ports.map((p) => p.service)).toEqual(['annals-replicas']);
      expect(ports.filter((p) => !LOOPBACK.includes(p.hostIp ?? ''))).toEqual([]);
      const proxy = readFileSync(join(root, 'deploy', 'nginx-replicas.conf'), 'utf8');
      expect(proxy).toMatch(/server annals-replica-1:3000/);
      expect(proxy).toMatch(/server annals-replica-2:3000/);
      // Server-sent events must not wait in the proxy's buffer.
      expect(proxy).toMatch(/proxy_buffering off;/);
    });

    it("makes the session secret once, as the replicas' configuration requires it (at least 32 bytes, owner only)", () => {
      const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
      const block = compose.slice(compose.indexOf('  replica-secrets:'), compose.indexOf('  annals-replica-1:'));
      const script = block.slice(block.indexOf('- >-') + 4, block.indexOf('\n    volumes:')).split('\n').map((line) => line.trim()).filter(Boolean).join(' ');
      const shared = mkdtempSync(join(tmpdir(), 'annals-shared-'));
      try {
        // The same script, on a directory of this machine (chown to node left out: no such user here, nor root needed).
        const run = () => execFileSync('sh', ['-c', script.replaceAll('/shared', shared).replace(/&& chown -R node:node \S+ /, '')]);
        run();
        const secret = readFileSync(join(shared, 'session-secret'), 'utf8');
        expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
        expect(statSync(join(shared, 'session-secret')).mode & 0o077).toBe(0);
        // Run again (a restart), it keeps the secret: a second one would log everyone out.
        run();
        expect(readFileSync(join(shared, 'session-secret'), 'utf8')).toBe(secret);
      } finally {
        rmSync(shared, { recursive: true, force: true });
      }
    });
  });

  it('publishes every port on the host\'s loopback only (EventStoreDB runs insecure; open writes are local only)', () => {
    // Every profile's services too (docker-compose v1 lists them all anyway).
    const resolved = execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), '--profile', 'postgres', 'config'], { encoding: 'utf8' });
    const ports = publishedPorts(resolved);
    expect(ports.map((p) => p.service)).toEqual(expect.arrayContaining(['annals', 'eventstore', 'annals-postgres', 'postgres']));
    expect(ports.filter((p) => !LOOPBACK.includes(p.hostIp ?? ''))).toEqual([]);
  });
});

const LOOPBACK = ['127.0.0.1', '::1', '[::1]'];

describe('publishedPorts (how the loopback check reads docker-compose config)', () => {
  it('reads short and long forms, and an address left out means every interface', () => {
    const yaml = [
      'services:',
      '  a:',
      '    ports:',
      '    - 2113:2113/tcp',
      '    - 127.0.0.1:3000:3000/tcp',
      '  b:',
      '    image: x',
      '    ports:',
      '    - mode: ingress',
      '      host_ip: 127.0.0.1',
      '      target: 3000',
      '      published: "3000"',
      '    - mode: ingress',
      '      target: 2113',
      '      published: "2113"',
    ].join('\n');
    expect(publishedPorts(yaml)).toEqual([
      { service: 'a', hostIp: undefined, spec: '2113:2113/tcp' },
      { service: 'a', hostIp: '127.0.0.1', spec: '127.0.0.1:3000:3000/tcp' },
      { service: 'b', hostIp: '127.0.0.1', spec: 'target 3000' },
      { service: 'b', hostIp: undefined, spec: 'target 2113' },
    ]);
  });
});

/**
 * The published ports of `docker-compose config` output (v1 keeps the short form, v2 writes the long
 * one). A reader of just this shape, not YAML: the project has no YAML parser to depend on.
 */
function publishedPorts(resolved: string): { service: string; hostIp?: string; spec: string }[] {
  const found: { service: string; hostIp?: string; spec: string }[] = [];
  let service = '';
  let inPorts = false;
  let current: { service: string; hostIp?: string; spec: string } | undefined;
  for (const line of resolved.split('\n')) {
    const serviceMatch = /^  (\S[^:]*):\s*$/.exec(line);
    if (serviceMatch) {
      service = serviceMatch[1];
      inPorts = false;
      continue;
    }
    if (/^    ports:\s*$/.test(line)) {
      inPorts = true;
      continue;
    }
    if (!inPorts) continue;
    if (!/^    [- ] /.test(line)) {
      inPorts = false;
      continue;
    }
    const item = /^    - (.*)$/.exec(line);
    const field = /^\s+(?:- )?(\w+): ['"]?([^'"]*)['"]?$/.exec(line);
    if (item && !field) {
      const spec = item[1].replace(/^['"]|['"]$/g, '');
      const parts = spec.replace(/\/\w+$/, '').split(':');
      found.push({ service, hostIp: parts.length > 2 ? parts.slice(0, -2).join(':') : undefined, spec });
      current = undefined;
      continue;
    }
    if (item) {
      current = { service, hostIp: undefined, spec: '' };
      found.push(current);
    }
    if (field && current) {
      if (field[1] === 'host_ip') current.hostIp = field[2];
      if (field[1] === 'target') current.spec = `target ${field[2]}`;
    }
  }
  return found;
}
