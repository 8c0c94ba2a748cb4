/**
 * `homeostat import compose FILE` as the built command: its output, written into a manifests directory, passes
 * `homeostat validate`; no secret value reaches stdout or stderr; bad input exits 1 naming the file and the line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/built-cli.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const scratch = mkdtempSync(join(tmpdir(), 'homeostat-import-compose-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, HOMEOSTAT_STATE_DIR: join(scratch, 'state') };

describe('homeostat import compose', () => {
  for (const fixture of ['gluetun-qbittorrent.yaml', 'secrets/compose.yaml']) {
    it(`${fixture}: prints manifests that homeostat validate accepts, and no secret value`, () => {
      const run = runCli(['import', 'compose', join(FIXTURES, fixture), '--host', 'docker-ct'], env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^kind: VpnSidecar$/m);
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/KNOWN-SECRET/);
      const manifests = mkdtempSync(join(scratch, 'manifests-'));
      writeFileSync(join(manifests, 'vpn.yaml'), run.stdout);
      const validate = runCli(['validate', '--manifests', manifests], env);
      expect(validate.stdout).toBe('1 resource(s) valid\n');
      expect(validate.code).toBe(0);
    });
  }

  it('bad input: exit 1, FILE:LINE:COL and the field', () => {
    const file = join(scratch, 'compose.yaml');
    writeFileSync(file, 'services:\n  vpn:\n    image: qmcgaw/gluetun\n  app:\n    image: busybox\n    network_mode: service:gluetun\n');
    const run = runCli(['import', 'compose', file], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`homeostat: ${file}:6:5: services.app.network_mode: service:gluetun: no service "gluetun" in this file (services: vpn, app)\n`);
    const missing = runCli(['import', 'compose', join(scratch, 'nope.yaml')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`homeostat: ${join(scratch, 'nope.yaml')}: cannot read it (ENOENT)\n`);
  });
});
