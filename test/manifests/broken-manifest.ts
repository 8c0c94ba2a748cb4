/**
 * One manifest file with a mistake of every sort the schema catches (a duration out of bounds, an unknown field, an
 * enum, a pattern, a missing field, a wrong type, duplicates, a bad nested map value, an unknown kind), and lines
 * `homeostat validate` prints for some of them: shared by the built CLI's test and the standalone validators' test.
 */
export const BROKEN_MANIFEST = `apiVersion: homeostat.dev/v1alpha1
kind: StorageKeepalive
metadata:
  name: bad
spec:
  path: /mnt/hdd
  interval: 1ms
  bogus: x
  mode: sometimes
---
apiVersion: homeostat.dev/v1alpha1
kind: StorageKeepalive
metadata: { name: Bad_Name }
spec: { interval: 99999h, slowThreshold: 5 }
---
apiVersion: homeostat.dev/v1alpha1
kind: LxcDevice
metadata: { name: dev }
spec: { container: "abc", devices: [ { preset: tun }, { preset: tun }, { path: 5 } ] }
---
apiVersion: homeostat.dev/v1alpha1
kind: UnifiedNamespace
metadata: { name: data, labels: { a: 1 } }
spec: { root: /, directories: [a, a, "../x"], owner: { uid: -1 } }
---
apiVersion: homeostat.dev/v1alpha1
kind: VpnSidecar
metadata: { name: v }
spec: { gateway: { image: "Bad Image", env: { A: 1 } }, dependents: [ { name: x, ports: ["nope"] } ] }
---
apiVersion: homeostat.dev/v1alpha1
kind: Host
metadata: { name: h }
spec: { ssh: { address: 1.2.3.4, port: 99999, hostKeyFingerprint: MD5 } }
---
kind: Nope
`;

/** Exact lines `homeostat validate` prints for BROKEN_MANIFEST written as `broken.yaml` (a selection: file, line, column, field). */
export const BROKEN_MANIFEST_LINES = [
  'broken.yaml:7:13 StorageKeepalive/bad: spec.interval: must be at least 1s (got "1ms")',
  'broken.yaml:8:3 StorageKeepalive/bad: spec.bogus: unknown field (known fields: host, path, interval, method, mode, requireMountpoint, file, slowThreshold)',
  'broken.yaml:9:9 StorageKeepalive/bad: spec.mode: must be one of controller, cron (got "sometimes")',
  'broken.yaml:14:1: spec.path: required field missing',
  'broken.yaml:14:19: spec.interval: must be at most 24h (got "99999h")',
  'broken.yaml:14:42: spec.slowThreshold: must be a string, got 5 (put it in quotes)',
  'broken.yaml:19:80 LxcDevice/dev: spec.devices[2].path: must be a string, got 5 (put it in quotes)',
  'broken.yaml:24:31 UnifiedNamespace/data: spec.directories: must not contain duplicates (items 1 and 0 are equal)',
  'broken.yaml:24:47 UnifiedNamespace/data: spec.owner.gid: required field missing',
  'broken.yaml:24:61 UnifiedNamespace/data: spec.owner.uid: must be >= 0 (got -1)',
  'broken.yaml:29:50 VpnSidecar/v: spec.gateway.env.A: must be a string, got 1 (put it in quotes)',
  'broken.yaml:34:40 Host/h: spec.ssh.port: must be <= 65535 (got 99999)',
  'broken.yaml:36:7: kind: unknown kind "Nope" (known kinds: Host, LxcDevice, Notifier, StorageKeepalive, UnifiedNamespace, VpnSidecar)',
];

/** How many errors BROKEN_MANIFEST has in all (every one is a line). */
export const BROKEN_MANIFEST_ERRORS = 23;
