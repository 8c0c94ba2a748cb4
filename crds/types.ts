/**
 * The spec type of every kind, generated from the CRDs in crds/*.yaml by crds/generate-types.mjs: do not edit,
 * run `npm run gen:types`. A field with a default is not optional here: validation fills it in.
 */

/** Where the host is, how to reach it, and which toolchains it has. */
export interface HostSpec {
  /**
   * The container toolchain on the host: `proxmox` (pct, configs in /etc/pve/lxc/<vmid>.conf) or `lxc` (plain LXC:
   * lxc-* commands, configs in /var/lib/lxc/<name>/config).
   * @default "proxmox"
   */
  platform: 'proxmox' | 'lxc';
  /**
   * Confine every path under this folder (a sandbox): a path `/x` on the host becomes `<root>/x`, and nothing may
   * escape it. A relative folder is relative to the folder of the manifest file that declares the Host.
   * @default "/"
   */
  root: string;
  /**
   * Reach the host over SSH (one connection shared by every resource). Without it the host is this machine. The host
   * key must be known (`knownHostsFile`) or pinned (`hostKeyFingerprint`), unless `trustOnFirstUse` is set.
   */
  ssh?: HostSshSpec;
  /**
   * The host's Docker endpoint: a Unix socket (over SSH when `ssh` is set) or TCP (`host` and `port`, with `tls`
   * unless `host` is a loopback address).
   */
  docker?: HostDockerSpec;
}

/** Which container gets which devices, and how the config grants them. */
export interface LxcDeviceSpec {
  /**
   * The name of the Host that runs the container.
   * @default "local"
   */
  host: string;
  /** The container: its VMID on Proxmox (e.g. "100", quoted), or its name on plain LXC. */
  container: string;
  /**
   * The devices to pass through. Each entry names either a `preset` or a `path`. Device numbers are read from the
   * host (stat of the device node), never hard-coded.
   */
  devices: LxcDeviceEntry[];
  /**
   * How the config grants devices: `raw` writes lxc.cgroup2.devices.allow and lxc.mount.entry lines; `dev` writes
   * Proxmox 8.1+ `devN: /dev/...,gid=,uid=,mode=` entries (Proxmox only).
   * @default "raw"
   */
  style: 'raw' | 'dev';
  /**
   * Style `dev`: the group id, inside the container, that owns the device nodes (e.g. its render or video group, such
   * as 104).
   */
  gid?: number;
  /** Style `dev`: the user id, inside the container, that owns the device nodes. */
  uid?: number;
  /** Style `dev`: the device nodes' permission bits, in octal and quoted (e.g. "0660"). */
  mode?: string;
  /**
   * A running container only sees config changes after a restart: `if-running` restarts it after homeostat changed
   * its config (`pct reboot`, or `lxc-stop` + `lxc-start` on plain LXC); `never` leaves it running and reports
   * Degraded/PendingRestart while a device is missing inside it.
   * @default "never"
   */
  restart: 'never' | 'if-running';
}

/** Where notifications go, and which ones. */
export interface NotifierSpec {
  /**
   * The receiving service: `ntfy` (POST to the topic URL; Title, Priority and Tags headers), `gotify` (POST
   * {url}/message with an application token), or `webhook` (POST of a JSON object: kind, name, host, type, reason,
   * message, count, time).
   */
  type: 'ntfy' | 'gotify' | 'webhook';
  /**
   * ntfy: the topic URL (https://ntfy.sh/my-lab-topic); gotify: the server's base URL (https://gotify.example.com);
   * webhook: the URL to POST to. http or https, without credentials in it (use `tokenFile`).
   */
  url: string;
  /**
   * Absolute path of a file holding the token, on the machine homeostat runs on (required for gotify: the application
   * token, sent as X-Gotify-Key; ntfy and webhook: sent as `Authorization: Bearer <token>`). Read at every send; the
   * value never appears in logs, status, events or errors.
   */
  tokenFile?: string;
  /**
   * `warning`: Warning events only (and Ready changes, the controller's conditions); `info`: every event too
   * (Applied, PortForwarded, Restarted, ...).
   * @default "warning"
   */
  severity: 'warning' | 'info';
  /**
   * Only notifications about resources of these kinds (`Controller`: the controller's own conditions such as
   * PruneHeld). Empty or omitted: every kind.
   * @default []
   */
  kinds: Array<'Host' | 'LxcDevice' | 'Notifier' | 'StorageKeepalive' | 'UnifiedNamespace' | 'VpnSidecar' | 'Controller'>;
  /**
   * Only notifications about resources with these names. Empty or omitted, every name.
   * @default []
   */
  names: string[];
}

/** Which disk to keep awake, how often, and how. */
export interface StorageKeepaliveSpec {
  /**
   * The name of the Host the disk is attached to.
   * @default "local"
   */
  host: string;
  /**
   * The disk's mountpoint (or a folder on it): an absolute, normalized path without whitespace, quotes, %, $,
   * backticks, or `.`/`..` segments (it also ends up in a cron line).
   */
  path: string;
  /**
   * Time between heartbeats, a number with a unit (ms, s, m or h), e.g. 30s or 5m; from 1s to 24h.
   * @default "5m"
   */
  interval: string;
  /**
   * How a heartbeat reaches the disk: `write-fsync` writes the file and fsyncs it (reaches the disk at once); `touch`
   * only updates the timestamp (may stay in the page cache for ~30 s, or 24 h with lazytime).
   * @default "write-fsync"
   */
  method: 'write-fsync' | 'touch';
  /**
   * Who writes the heartbeat: `controller` (homeostat itself, measuring each heartbeat's latency) or `cron`
   * (homeostat keeps /etc/cron.d/homeostat-<name> on the host, and removes it on delete).
   * @default "controller"
   */
  mode: 'controller' | 'cron';
  /**
   * Never write when `path` is not a mountpoint (an unplugged disk leaves an empty folder on the root filesystem):
   * report Degraded/NotMounted instead, and resume when the disk returns.
   * @default true
   */
  requireMountpoint: boolean;
  /**
   * The heartbeat file's name, created directly under `path` (a name, not a path).
   * @default ".homeostat-keepalive"
   */
  file: string;
  /**
   * A heartbeat slower than this means the disk had spun down (event DiskWokeUp, metric). A number with a unit (ms,
   * s, m or h), from 100ms to 1h.
   * @default "2s"
   */
  slowThreshold: string;
}

/** The tree's root, its folders, their ownership, and the containers it is shared into. */
export interface UnifiedNamespaceSpec {
  /**
   * The name of the Host the tree lives on.
   * @default "local"
   */
  host: string;
  /**
   * The tree's root folder (e.g. /data): an absolute, normalized path other than `/`, without whitespace, quotes, %,
   * $, backticks, or `.`/`..` segments.
   */
  root: string;
  /**
   * A preset set of folders: `trash` (the TRaSH Guides tree: torrents/{books,movies,music,tv}, usenet/incomplete,
   * usenet/complete/{books,movies,music,tv} and media/{books,movies,music,tv}) or `none`.
   * @default "none"
   */
  layout: 'none' | 'trash';
  /**
   * More folders to keep, relative to `root` (e.g. backups or media/photos).
   * @default []
   */
  directories: string[];
  /** The numeric owner of `root` and every folder in the tree. Without it, ownership is left alone. */
  owner?: UnifiedNamespaceOwner;
  /**
   * The folders' permission bits, in octal and quoted. The default "2775" (setgid) makes new files keep the group;
   * run the apps with umask 002.
   * @default "2775"
   */
  mode: string;
  /**
   * Every folder must be on the same filesystem and mount as `root` (checked by device id, the mount table and a
   * hardlink probe); a separate mount (even a bind mount of the same filesystem) or a symlink to another filesystem
   * makes the resource Stalled/CrossDevice, and a mount deeper inside the tree makes it Degraded/MountInsideTree.
   * @default true
   */
  requireSameFilesystem: boolean;
  /**
   * Containers that get the whole tree as one bind mount (Proxmox `mpN` at the first free index, or `lxc.mount.entry`
   * on plain LXC), seen from the container's next start. Several mounts into the tree in one container are flagged
   * (Degraded/SplitMounts: hardlinks fail between them); another mount at the same path makes the resource
   * Stalled/MountPathTaken.
   * @default []
   */
  shareInto: UnifiedNamespaceShare[];
}

/** The gateway container and its dependents. */
export interface VpnSidecarSpec {
  /**
   * The name of the Host whose Docker engine runs the containers (it needs `docker`).
   * @default "local"
   */
  host: string;
  /**
   * Take over containers with a declared name that homeostat did not create. One whose live configuration matches its
   * declaration is adopted in place (recorded in homeostat's state, not recreated; what `homeostat import host`
   * writes); any other is recreated, with the differences named. Off by default: such a container is left alone and
   * the resource is Stalled.
   * @default false
   */
  adopt: boolean;
  /**
   * The VPN container. It gets NET_ADMIN, /dev/net/tun, its env and secret env, and the dependents' ports published;
   * it is recreated when this changes, and must be healthy before the dependents start.
   */
  gateway: VpnGateway;
  /**
   * The app containers that share the gateway's network stack. They may not set the options that mode forbids
   * (hostname, DNS, extra hosts, MAC address, networks, published ports on themselves).
   * @default []
   */
  dependents: VpnDependent[];
  /**
   * Check that the kill switch holds: whenever gluetun reports the tunnel down, homeostat tries a TCP connection to
   * this address from inside the dependents' network namespace (nsenter on the Docker host, which must be the Host's
   * own machine). It must fail; if it succeeds, traffic leaves around the tunnel: the dependents are stopped at once
   * (KillSwitchViolation) and kept stopped until the tunnel is up, and the condition NoLeak is False. Needs the
   * control server (it says whether the tunnel is down).
   */
  leakProbe?: VpnLeakProbe;
}

/**
 * The host's Docker endpoint: a Unix socket (over SSH when `ssh` is set) or TCP (`host` and `port`, with `tls` unless
 * `host` is a loopback address).
 */
export interface HostDockerSpec {
  /** Path of the Docker socket on the host (e.g. /var/run/docker.sock). */
  socketPath?: string;
  /**
   * Host name or IP address of a Docker daemon listening on TCP. Without `tls` only a loopback address (127.0.0.0/8,
   * ::1, localhost) is accepted: plain TCP would send secret env values in cleartext.
   */
  host?: string;
  /** TCP port of the Docker daemon (with `host`); default 2376 with `tls`, else 2375. */
  port?: number;
  /**
   * Talk to `host` over TLS as `docker --tlsverify` does: the daemon's certificate must be signed by `ca`, and
   * homeostat presents `cert` and `key` (dockerd --tlsverify checks them). Files on the controller's machine; a
   * relative path is relative to the folder of the manifest file that declares the Host.
   */
  tls?: HostDockerTlsSpec;
}

/**
 * Talk to `host` over TLS as `docker --tlsverify` does: the daemon's certificate must be signed by `ca`, and
 * homeostat presents `cert` and `key` (dockerd --tlsverify checks them). Files on the controller's machine; a
 * relative path is relative to the folder of the manifest file that declares the Host.
 */
export interface HostDockerTlsSpec {
  /** The CA certificate (PEM) that signed the daemon's certificate (ca.pem). */
  ca: string;
  /** homeostat's client certificate (PEM), signed by a CA the daemon trusts (cert.pem). */
  cert: string;
  /** The client certificate's private key (PEM; key.pem). Keep it 0600. */
  key: string;
}

/**
 * Reach the host over SSH (one connection shared by every resource). Without it the host is this machine. The host
 * key must be known (`knownHostsFile`) or pinned (`hostKeyFingerprint`), unless `trustOnFirstUse` is set.
 */
export interface HostSshSpec {
  /** Host name or IP address of the SSH server. */
  address: string;
  /**
   * TCP port of the SSH server.
   * @default 22
   */
  port: number;
  /**
   * User to log in as.
   * @default "root"
   */
  user: string;
  /** Private key file on the controller's machine (e.g. /root/.ssh/id_ed25519). */
  identityFile?: string;
  /**
   * Authenticate with the SSH agent at $SSH_AUTH_SOCK (an alternative to identityFile).
   * @default false
   */
  agent: boolean;
  /** An OpenSSH known_hosts file that must list the host's key (e.g. /root/.ssh/known_hosts). */
  knownHostsFile?: string;
  /**
   * The host key's pinned SHA256 fingerprint, as `ssh-keygen -lf` prints it (SHA256:<43 base64 chars>); an
   * alternative to knownHostsFile.
   */
  hostKeyFingerprint?: string;
  /**
   * Accept an unknown host key the first time and pin it from then on. Off by default: an unknown key is refused.
   * @default false
   */
  trustOnFirstUse: boolean;
}

/**
 * One device to pass through.
 * Exactly one of: preset, path.
 */
export interface LxcDeviceEntry {
  /**
   * A named set of device paths: `intel-quicksync` (the card* and renderD* nodes found in the host's /dev/dri, with
   * the /dev/dri folder bind-mounted `optional`) or `tun` (/dev/net/tun, for WireGuard/Tailscale inside the
   * container).
   */
  preset?: 'intel-quicksync' | 'tun';
  /**
   * Any character or block device node under /dev/ (e.g. /dev/ttyUSB0): normalized, without `..`, whitespace, quotes
   * or commas.
   */
  path?: string;
  /**
   * Skip this entry while its device is missing on the host, instead of reporting the resource Stalled
   * (DeviceNotFound); its bind mount is written `optional`, so the container still starts without it.
   * @default false
   */
  optional: boolean;
}

/** Set qBittorrent's listening port through its WebUI API. */
export interface QbittorrentPortForwarding {
  /** The WebUI's base URL as the controller reaches it (e.g. http://127.0.0.1:8080). */
  url: string;
  /**
   * The WebUI user name.
   * @default "admin"
   */
  username: string;
  /** The WebUI password. */
  password: SecretFileRef;
}

export interface SecretFileRef {
  /**
   * Absolute path of the file that holds the secret, on the machine homeostat runs on. Read at apply time; the value
   * never appears in logs, status, events or diff output.
   */
  file: string;
}

/** The numeric owner of `root` and every folder in the tree. Without it, ownership is left alone. */
export interface UnifiedNamespaceOwner {
  /** The owning user id, as the host sees it (e.g. 1000, or 101000 for an unprivileged container's 1000). */
  uid: number;
  /** The owning group id, as the host sees it. */
  gid: number;
}

/** One container that gets the tree. */
export interface UnifiedNamespaceShare {
  /** The container on the same host - its VMID on Proxmox (e.g. "100", quoted), or its name on plain LXC. */
  container: string;
  /** Where the tree appears inside the container: an absolute, normalized path. Default: the same path as `root`. */
  path?: string;
}

/**
 * gluetun's HTTP control server, where homeostat reads the tunnel's state and public IP (GET /v1/vpn/status,
 * /v1/publicip/ip) and the forwarded port (GET /v1/portforward). homeostat talks to it when it has an apiKey or a
 * url, a dependent uses port forwarding, or the spec has a leakProbe.
 */
export interface VpnControlServer {
  /**
   * The control server's port inside the gateway's network namespace (gluetun's HTTP_CONTROL_SERVER_ADDRESS, :8000 by
   * default). Unless `url` is set, homeostat publishes it on the gateway at 127.0.0.1:<port> (loopback only: the
   * control server can reconfigure the VPN) whenever homeostat talks to it, and reaches it there. Two VpnSidecars on
   * one Docker host need distinct ports.
   * @default 8000
   */
  port: number;
  /**
   * Where the controller reaches the control server instead (e.g. http://10.0.0.5:8000 when Docker runs on another
   * machine). With a url, homeostat publishes nothing for the control server.
   */
  url?: string;
  /**
   * How often the tunnel's state and the forwarded port are read (the VPN may drop or change them at any time; no
   * Docker event says so). A duration such as 15s, from 100ms (a read is one or two HTTP requests; only a change
   * queues a reconcile) to 24h; 15s when omitted.
   */
  pollInterval?: string;
  /**
   * The control server's API key (sent as X-API-Key). gluetun 3.39.1 and later answer no request without one;
   * homeostat configures the gateway's auth with it.
   */
  apiKey?: SecretFileRef;
}

/** One app container behind the gateway. */
export interface VpnDependent {
  /** The container's name (e.g. qbittorrent). */
  name: string;
  /** The image reference (e.g. lscr.io/linuxserver/qbittorrent:latest). */
  image: string;
  /**
   * Environment variables (e.g. PUID, PGID, UMASK). Values are strings.
   * @default {}
   */
  env: Record<string, string>;
  /**
   * Environment variables whose values are read from secret files.
   * @default {}
   */
  secretEnv: Record<string, SecretFileRef>;
  /**
   * Bind mounts and named volumes, as `SOURCE:TARGET[:OPTIONS]` (e.g. /data:/data or config:/config:ro).
   * @default []
   */
  volumes: string[];
  /**
   * Ports to publish, as `[IP:]HOST:CONTAINER[/tcp|udp]` (e.g. 8080:8080). They are published on the gateway:
   * container network mode forbids ports on the dependent. As with `docker run -p`, no IP means every interface of
   * the Docker host; write 127.0.0.1:8080:8080 to keep a port on loopback. A host port may be published once per
   * protocol and address.
   * @default []
   */
  ports: string[];
  /**
   * Not allowed: a dependent shares the gateway's network stack, hostname included (set it on the gateway). Accepted
   * by the schema only so that the resource can say why.
   */
  hostname?: string;
  /** Not allowed: DNS servers come from the gateway (gluetun's DNS over TLS). */
  dns?: string[];
  /** Not allowed: /etc/hosts entries belong to the gateway's network stack. */
  extraHosts?: string[];
  /** Not allowed: a dependent has no network interface of its own. */
  macAddress?: string;
  /** Not allowed: homeostat sets container:<gateway id>; anything else bypasses the kill switch. */
  networkMode?: string;
  /** Not allowed: a dependent joins no network of its own (that would bypass the kill switch). */
  networks?: string[];
  /**
   * When the image is pulled (compose `pull_policy`): `missing` (the default) pulls it only when the Docker host
   * lacks it, and a container keeps running on the image it was created from even when the tag later points to
   * another; `always` pulls before every create and recreate (falling back to the local image when the registry
   * cannot be reached), and a new image id under the same tag (a `docker pull` or a re-tag on the Docker host) is a
   * change: the container is recreated on it, keeping its volumes.
   */
  pull?: 'missing' | 'always';
  /**
   * The command (compose `command`), replacing the image's CMD: the program and its arguments, one item each (e.g.
   * [--webui-port, "8080"]); no shell is involved.
   */
  command?: string[];
  /**
   * The entrypoint (compose `entrypoint`), replacing the image's ENTRYPOINT, one item per argument; an empty list
   * clears the image's entrypoint (compose `entrypoint: ""`).
   */
  entrypoint?: string[];
  /** The user the process runs as (compose `user`), `USER[:GROUP]`, by name or number (e.g. "1000:1000"). */
  user?: string;
  /** The working directory of the process (compose `working_dir`), an absolute path in the container. */
  workingDir?: string;
  /**
   * Docker labels on the container (compose `labels`). Keys starting with `dev.homeostat.` are homeostat's own
   * (owner, role, spec hashes) and may not be set here.
   */
  labels?: Record<string, string>;
  /**
   * How long Docker waits after SIGTERM before it kills the process (compose `stop_grace_period`), whenever the
   * container is stopped, restarted or recreated, by homeostat or by hand. A duration such as 30s, from 1s to 1h,
   * rounded up to whole seconds (Docker counts seconds); Docker's 10s when omitted. An app whose PID 1 ignores
   * SIGTERM holds every heal this long.
   */
  stopGracePeriod?: string;
  /**
   * Docker's restart policy (compose `restart`): no, always, on-failure[:MAX_RETRIES] or unless-stopped;
   * unless-stopped when omitted.
   */
  restart?: string;
  /**
   * Linux capabilities added (compose `cap_add`), e.g. [SYS_ADMIN] (CAP_ prefix optional). The gateway always has
   * NET_ADMIN.
   */
  capAdd?: string[];
  /** Linux capabilities dropped (compose `cap_drop`), e.g. [ALL] or [MKNOD]. */
  capDrop?: string[];
  /**
   * Host devices made available (compose `devices`), `HOST[:CONTAINER][:PERMISSIONS]` with permissions from r, w, m
   * (rwm when omitted), e.g. /dev/dri:/dev/dri. The gateway always has /dev/net/tun.
   */
  devices?: string[];
  /**
   * tmpfs mounts (compose `tmpfs`), `PATH[:OPTIONS]` with mount options as for mount -t tmpfs (e.g. /tmp or
   * /run:size=64m,mode=1777).
   */
  tmpfs?: string[];
  /** Mount the container's root filesystem read-only (compose `read_only`). */
  readOnly?: boolean;
  /**
   * The size of /dev/shm (compose `shm_size`): a number of bytes with an optional unit b, k, m or g (e.g. 256m);
   * Docker's 64m when omitted.
   */
  shmSize?: string;
  /**
   * Resource limits (compose `ulimits`), by name (nofile, nproc, memlock, core, ...), each `{ soft, hard }`
   * (compose's one-number form `nproc: 65535` is `{ soft: 65535, hard: 65535 }`). -1 means unlimited.
   */
  ulimits?: Record<string, VpnUlimit>;
  /**
   * The container's healthcheck (compose `healthcheck`), replacing the image's. On the gateway, the dependents wait
   * for it to report healthy.
   */
  healthcheck?: VpnHealthcheck;
  /**
   * Not allowed: Docker refuses sysctls on a container in another's network namespace; set them on the gateway (they
   * apply to its dependents too). Accepted by the schema only so that the resource can say why.
   */
  sysctls?: Record<string, string>;
  /** Deliver the VPN's forwarded port to this app whenever it changes. */
  portForwarding?: VpnPortForwarding;
}

/**
 * The VPN container. It gets NET_ADMIN, /dev/net/tun, its env and secret env, and the dependents' ports published; it
 * is recreated when this changes, and must be healthy before the dependents start.
 */
export interface VpnGateway {
  /** The container's name (e.g. gluetun). */
  name: string;
  /** The image reference (e.g. qmcgaw/gluetun:v3.40.0). */
  image: string;
  /**
   * Environment variables (e.g. VPN_SERVICE_PROVIDER, SERVER_COUNTRIES). Values are strings.
   * @default {}
   */
  env: Record<string, string>;
  /**
   * Environment variables whose values are read from secret files (e.g. WIREGUARD_PRIVATE_KEY).
   * @default {}
   */
  secretEnv: Record<string, SecretFileRef>;
  /**
   * gluetun's HTTP control server, where homeostat reads the tunnel's state and public IP (GET /v1/vpn/status,
   * /v1/publicip/ip) and the forwarded port (GET /v1/portforward). homeostat talks to it when it has an apiKey or a
   * url, a dependent uses port forwarding, or the spec has a leakProbe.
   * @default {}
   */
  controlServer: VpnControlServer;
  /**
   * When the image is pulled (compose `pull_policy`): `missing` (the default) pulls it only when the Docker host
   * lacks it, and a container keeps running on the image it was created from even when the tag later points to
   * another; `always` pulls before every create and recreate (falling back to the local image when the registry
   * cannot be reached), and a new image id under the same tag (a `docker pull` or a re-tag on the Docker host) is a
   * change: the container is recreated on it, keeping its volumes.
   */
  pull?: 'missing' | 'always';
  /**
   * The command (compose `command`), replacing the image's CMD: the program and its arguments, one item each (e.g.
   * [--webui-port, "8080"]); no shell is involved.
   */
  command?: string[];
  /**
   * The entrypoint (compose `entrypoint`), replacing the image's ENTRYPOINT, one item per argument; an empty list
   * clears the image's entrypoint (compose `entrypoint: ""`).
   */
  entrypoint?: string[];
  /** The user the process runs as (compose `user`), `USER[:GROUP]`, by name or number (e.g. "1000:1000"). */
  user?: string;
  /** The working directory of the process (compose `working_dir`), an absolute path in the container. */
  workingDir?: string;
  /**
   * Docker labels on the container (compose `labels`). Keys starting with `dev.homeostat.` are homeostat's own
   * (owner, role, spec hashes) and may not be set here.
   */
  labels?: Record<string, string>;
  /**
   * How long Docker waits after SIGTERM before it kills the process (compose `stop_grace_period`), whenever the
   * container is stopped, restarted or recreated, by homeostat or by hand. A duration such as 30s, from 1s to 1h,
   * rounded up to whole seconds (Docker counts seconds); Docker's 10s when omitted. An app whose PID 1 ignores
   * SIGTERM holds every heal this long.
   */
  stopGracePeriod?: string;
  /**
   * Docker's restart policy (compose `restart`): no, always, on-failure[:MAX_RETRIES] or unless-stopped;
   * unless-stopped when omitted.
   */
  restart?: string;
  /**
   * Linux capabilities added (compose `cap_add`), e.g. [SYS_ADMIN] (CAP_ prefix optional). The gateway always has
   * NET_ADMIN.
   */
  capAdd?: string[];
  /** Linux capabilities dropped (compose `cap_drop`), e.g. [ALL] or [MKNOD]. */
  capDrop?: string[];
  /**
   * Host devices made available (compose `devices`), `HOST[:CONTAINER][:PERMISSIONS]` with permissions from r, w, m
   * (rwm when omitted), e.g. /dev/dri:/dev/dri. The gateway always has /dev/net/tun.
   */
  devices?: string[];
  /**
   * tmpfs mounts (compose `tmpfs`), `PATH[:OPTIONS]` with mount options as for mount -t tmpfs (e.g. /tmp or
   * /run:size=64m,mode=1777).
   */
  tmpfs?: string[];
  /** Mount the container's root filesystem read-only (compose `read_only`). */
  readOnly?: boolean;
  /**
   * The size of /dev/shm (compose `shm_size`): a number of bytes with an optional unit b, k, m or g (e.g. 256m);
   * Docker's 64m when omitted.
   */
  shmSize?: string;
  /**
   * Resource limits (compose `ulimits`), by name (nofile, nproc, memlock, core, ...), each `{ soft, hard }`
   * (compose's one-number form `nproc: 65535` is `{ soft: 65535, hard: 65535 }`). -1 means unlimited.
   */
  ulimits?: Record<string, VpnUlimit>;
  /**
   * The container's healthcheck (compose `healthcheck`), replacing the image's. On the gateway, the dependents wait
   * for it to report healthy.
   */
  healthcheck?: VpnHealthcheck;
  /**
   * Kernel parameters in the gateway's namespaces (compose `sysctls`), e.g. net.ipv6.conf.all.disable_ipv6: "0". Its
   * dependents share its network namespace, so these apply to them too.
   */
  sysctls?: Record<string, string>;
}

/**
 * The container's healthcheck (compose `healthcheck`), replacing the image's. On the gateway, the dependents wait for
 * it to report healthy.
 */
export interface VpnHealthcheck {
  /**
   * What to run: [CMD, program, args...], [CMD-SHELL, "a shell command"], or [NONE] to disable the image's
   * healthcheck (compose's string form `test: curl -f ...` is [CMD-SHELL, "curl -f ..."]).
   */
  test?: string[];
  /** Time between checks, from 100ms to 24h (Docker's 30s when omitted). */
  interval?: string;
  /** How long one check may run before it counts as failed, from 100ms to 24h (Docker's 30s when omitted). */
  timeout?: string;
  /**
   * Time after start during which failures do not count, from 100ms to 24h (compose `start_period`; none when
   * omitted).
   */
  startPeriod?: string;
  /** Consecutive failures before the container is unhealthy (Docker's 3 when omitted). */
  retries?: number;
  /** Disable the image's healthcheck (as test [NONE]). */
  disable?: boolean;
}

/**
 * Check that the kill switch holds: whenever gluetun reports the tunnel down, homeostat tries a TCP connection to
 * this address from inside the dependents' network namespace (nsenter on the Docker host, which must be the Host's
 * own machine). It must fail; if it succeeds, traffic leaves around the tunnel: the dependents are stopped at once
 * (KillSwitchViolation) and kept stopped until the tunnel is up, and the condition NoLeak is False. Needs the control
 * server (it says whether the tunnel is down).
 */
export interface VpnLeakProbe {
  /**
   * An IP address on the internet that answers on `port` (e.g. 1.1.1.1), never a name: a name would be resolved
   * through the tunnel's DNS.
   */
  address: string;
  /** The TCP port to connect to (e.g. 443). */
  port: number;
  /**
   * How long a connection attempt may take before it counts as failed (a kill switch that drops packets makes it wait
   * this long). A duration such as 3s, from 100ms to 30s.
   * @default "3s"
   */
  timeout: string;
  /**
   * How often the probe runs again while the tunnel stays down (it also runs each time the tunnel is seen going
   * down). A duration such as 1m, from 1s to 24h.
   * @default "1m"
   */
  interval: string;
}

/** Deliver the VPN's forwarded port to this app whenever it changes. */
export interface VpnPortForwarding {
  /** Set qBittorrent's listening port through its WebUI API. */
  qbittorrent: QbittorrentPortForwarding;
}

/** Soft and hard limits. */
export interface VpnUlimit {
  /** The soft limit. */
  soft: number;
  /** The hard limit (at least the soft one). */
  hard: number;
}

/** The spec type of each kind. */
export interface SpecsByKind {
  Host: HostSpec;
  LxcDevice: LxcDeviceSpec;
  Notifier: NotifierSpec;
  StorageKeepalive: StorageKeepaliveSpec;
  UnifiedNamespace: UnifiedNamespaceSpec;
  VpnSidecar: VpnSidecarSpec;
}

export type KindName = keyof SpecsByKind;
