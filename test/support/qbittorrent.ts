/**
 * A real qBittorrent (Debian's qbittorrent-nox 4.5) for tests, on loopback only: a fresh profile seeded so
 * that it starts unattended and talks to nobody (`[LegalNotice] Accepted=true`; WebUI on 127.0.0.1 and a free
 * port; DHT, PeX, LSD, UPnP/NAT-PMP and extra trackers off; sessions bound to `lo`). Its WebUI login is
 * 4.5's default admin/adminadmin. `stop()` kills it by pid and removes the profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from './docker.js';
import { sleep } from './wait.js';

export const QBITTORRENT_NOX = '/usr/bin/qbittorrent-nox';
export const QBT_USER = 'admin';
export const QBT_PASSWORD = 'adminadmin';

export function qbittorrentAvailable(): boolean {
  return existsSync(QBITTORRENT_NOX);
}

export interface TestQbittorrent {
  url: string;
  pid: number;
  /** The listening port, read through the WebUI API as a user would (`/api/v2/app/preferences`). */
  listenPort(): Promise<number>;
  stop(): Promise<void>;
}

function config(webUiPort: number, listenPort: number): string {
  return `[LegalNotice]
Accepted=true

[BitTorrent]
Session\\DHTEnabled=false
Session\\PeXEnabled=false
Session\\LSDEnabled=false
Session\\AddTrackersEnabled=false
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress=127.0.0.1
Session\\Port=${listenPort}

[Network]
PortForwardingEnabled=false

[Preferences]
Connection\\UPnP=false
WebUI\\Address=127.0.0.1
WebUI\\Port=${webUiPort}
WebUI\\LocalHostAuth=true
`;
}

export async function startQbittorrent(): Promise<TestQbittorrent> {
  const profile = mkdtempSync(join(tmpdir(), 'homeostat-qbt-'));
  mkdirSync(join(profile, 'qBittorrent/config'), { recursive: true });
  const webUiPort = await freeLoopbackPort();
  const initialListenPort = await freeLoopbackPort();
  writeFileSync(join(profile, 'qBittorrent/config/qBittorrent.conf'), config(webUiPort, initialListenPort));
  const child: ChildProcess = spawn(QBITTORRENT_NOX, [`--profile=${profile}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${webUiPort}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const login = async (): Promise<string> => {
    const response = await fetch(`${url}/api/v2/auth/login`, { method: 'POST', body: new URLSearchParams({ username: QBT_USER, password: QBT_PASSWORD }) });
    const sid = /SID=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    if ((await response.text()) !== 'Ok.' || !sid) throw new Error('qBittorrent refused the test login');
    return `SID=${sid}`;
  };
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      process.kill(child.pid, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) process.kill(child.pid, 'SIGKILL');
      await exited;
    }
    rmSync(profile, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await login();
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`qbittorrent-nox did not start its WebUI on ${url}: ${(err as Error).message}`);
      }
      await sleep(100);
    }
  }
  return {
    url,
    pid: child.pid!,
    async listenPort() {
      const response = await fetch(`${url}/api/v2/app/preferences`, { headers: { Cookie: await login() } });
      return ((await response.json()) as { listen_port: number }).listen_port;
    },
    stop,
  };
}
