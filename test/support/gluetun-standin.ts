/**
 * A stand-in for gluetun in tests (gluetun itself needs a VPN provider on the internet): the busybox test image
 * plus its HTTP control server, speaking gluetun's real routes (qdm12/gluetun internal/server) inside the gateway's
 * network namespace:
 *   `GET /v1/vpn/status`  → `{"status":"running"}` (read from /tmp/gluetun/vpn_status; `setTunnelStatus` writes it),
 *   `GET /v1/publicip/ip` → `{"public_ip":"198.51.100.7","region":…,"country":…,"city":…,…}` while running, and
 *                            `{"public_ip":""}` otherwise (gluetun forgets the public IP when the tunnel goes down),
 *   `GET /v1/portforward` → `{"port":N,"ports":[N]}` (N read from /tmp/gluetun/forwarded_port, the file gluetun writes),
 * 404 for any other route, and 401 without the API key of `HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE`
 * (`{"auth":"apikey","apikey":"..."}`, as gluetun ≥ 3.39 reads it; its auth middleware guards every route alike).
 * It listens on `HTTP_CONTROL_SERVER_ADDRESS` (`:8000` by default), and has a Docker healthcheck that passes
 * `STANDIN_HEALTHY_AFTER` seconds after start, like gluetun's once the tunnel is up. Built with `docker build` on the
 * imported busybox image: no registry.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerExec, ensureTestImages, imageExists, TEST_IMAGE } from './docker.js';

/** The tag names the version of the stand-in: bump it with any change, or a machine keeps building on the old one. */
export const GLUETUN_STANDIN_IMAGE = 'homeostat-test/gluetun-standin:2';

const HANDLER = `#!/bin/sh
# One HTTP request on stdin/stdout (nc -ll -e runs this per connection).
read -r method path proto
key=""
while read -r line; do
  line=$(printf '%s' "$line" | tr -d '\\r')
  [ -z "$line" ] && break
  case "$line" in
    [Xx]-[Aa][Pp][Ii]-[Kk][Ee][Yy]:*) key=$(printf '%s' "\${line#*:}" | sed 's/^ *//') ;;
  esac
done
path=$(printf '%s' "$path" | tr -d '\\r')
respond() {
  printf 'HTTP/1.1 %s\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' "$1" "\${#2}" "$2"
}
want=$(printf '%s' "$HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE" | sed -n 's/.*"apikey" *: *"\\([^"]*\\)".*/\\1/p')
if [ -n "$want" ] && [ "$key" != "$want" ]; then
  respond '401 Unauthorized' '{"error":"unauthorized"}'
  exit 0
fi
case "$method $path" in
  "GET /v1/portforward")
    port=$(cat /tmp/gluetun/forwarded_port 2>/dev/null || echo 0)
    respond '200 OK' "{\\"port\\":$port,\\"ports\\":[$port]}" ;;
  "GET /v1/vpn/status")
    respond '200 OK' "{\\"status\\":\\"$(cat /tmp/gluetun/vpn_status)\\"}" ;;
  "GET /v1/publicip/ip")
    if [ "$(cat /tmp/gluetun/vpn_status)" = running ]; then
      respond '200 OK' '{"public_ip":"198.51.100.7","region":"North Holland","country":"Netherlands","city":"Amsterdam","hostname":"","location":"52.3740,4.8897","organization":"AS64496 Example VPN","postal_code":"1012","timezone":"Europe/Amsterdam"}'
    else
      respond '200 OK' '{"public_ip":""}'
    fi ;;
  *)
    respond '404 Not Found' '{"error":"route not found"}' ;;
esac
`;

const ENTRYPOINT = `#!/bin/sh
mkdir -p /tmp/gluetun
echo "\${STANDIN_FORWARDED_PORT:-0}" > /tmp/gluetun/forwarded_port
echo running > /tmp/gluetun/vpn_status
addr="\${HTTP_CONTROL_SERVER_ADDRESS:-:8000}"
nc -ll -p "\${addr##*:}" -e /control-server &
( sleep "\${STANDIN_HEALTHY_AFTER:-0}"; touch /tmp/gluetun/healthy ) &
trap 'exit 0' TERM INT
while :; do sleep 1 & wait $!; done
`;

const DOCKERFILE = `FROM ${TEST_IMAGE}
COPY control-server /control-server
COPY entrypoint /entrypoint
HEALTHCHECK --interval=100ms --timeout=1s --retries=1 CMD ["test", "-e", "/tmp/gluetun/healthy"]
CMD ["/entrypoint"]
`;

/** Builds the stand-in image unless present (idempotent). */
export function ensureGluetunStandinImage(): void {
  ensureTestImages();
  if (imageExists(GLUETUN_STANDIN_IMAGE)) return;
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-gluetun-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
    writeFileSync(join(dir, 'control-server'), HANDLER);
    writeFileSync(join(dir, 'entrypoint'), ENTRYPOINT);
    chmodSync(join(dir, 'control-server'), 0o755);
    chmodSync(join(dir, 'entrypoint'), 0o755);
    execFileSync('docker', ['build', '-q', '-t', GLUETUN_STANDIN_IMAGE, dir], { stdio: 'ignore', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the VPN "forwards" now: written where gluetun writes it, inside the gateway. */
export function setForwardedPort(gateway: string, port: number): void {
  dockerExec(gateway, ['sh', '-c', 'echo "$1" > /tmp/gluetun/forwarded_port', 'sh', String(port)]);
}

/**
 * What gluetun's VPN loop reports: `running`, `stopped`, `starting`, `crashed`, ... (and, with it, whether it knows
 * a public IP), written where the stand-in reads it, inside the gateway.
 */
export function setTunnelStatus(gateway: string, status: string): void {
  dockerExec(gateway, ['sh', '-c', 'echo "$1" > /tmp/gluetun/vpn_status', 'sh', status]);
}

/**
 * The role JSON gluetun reads its control-server API key from (HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE). gluetun
 * decodes it with unknown fields refused, and a default role covers every route: no `routes` in it.
 */
export function controlServerRole(apiKey: string): string {
  return JSON.stringify({ name: 'homeostat', auth: 'apikey', apikey: apiKey });
}
