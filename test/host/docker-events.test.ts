/**
 * The host layer's Docker events stream against real engines: events filtered by container name arrive parsed;
 * one the caller cannot handle becomes "look again"; nothing arrives after close; and across a restart of the
 * engine (a private dockerd this test starts, so that it may restart it) the stream comes back by itself and
 * says that events may have been missed.
 */
import { afterEach, beforeAll, expect } from 'vitest';
import { followDockerEvents, type Disposable, type DockerEvent } from '../../reconcilers/host/index.js';
import { dockerd, ensureTestImages, removeTestContainers, startPrivateDockerd, TEST_IMAGE, TEST_LABEL, testDocker, uniqueSuffix, type PrivateDockerd } from '../support/docker.js';
import { integration } from '../support/integration.js';
import { waitUntil } from '../support/wait.js';

const privateDockerd = integration('a private dockerd', dockerd.available && process.getuid?.() === 0, 'needs dockerd and root');
const tag = `host-events-${uniqueSuffix()}`;
const docker = testDocker();
let stream: Disposable | undefined;
let engine: PrivateDockerd | undefined;

beforeAll(() => ensureTestImages(), 60_000);
afterEach(async () => {
  stream?.close();
  stream = undefined;
  await removeTestContainers(docker, { tag });
  await engine?.stop();
  engine = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

dockerd.describe('Docker events through the host layer', () => {
  dockerd.it('hands over the events of the named containers only, parsed; an event the caller cannot handle means "look again"', async () => {
    const name = `hs-test-events-${uniqueSuffix()}`;
    const events: DockerEvent[] = [];
    let missed = 0;
    stream = followDockerEvents(docker, {
      filters: { type: ['container'], container: [name] },
      onEvent: (event) => {
        events.push(event);
        if (event.Action === 'start') throw new Error('cannot handle this one');
      },
      onMissed: () => missed++,
    });
    await sleep(300); // subscribed
    await docker.createContainer({ Image: TEST_IMAGE, name: `hs-test-other-${uniqueSuffix()}`, Labels: { [TEST_LABEL]: tag } });
    const c = await docker.createContainer({ Image: TEST_IMAGE, name, Labels: { [TEST_LABEL]: tag } });
    await c.start();
    await waitUntil('create and start', () => events.some((e) => e.Action === 'start'));
    expect(events.map((e) => [e.Type, e.Action, e.Actor?.ID, e.Actor?.Attributes?.name])).toEqual([
      ['container', 'create', c.id, name],
      ['container', 'start', c.id, name],
    ]);
    expect(missed).toBe(1); // the start the caller threw on
  });

  dockerd.it('hands over nothing after close', async () => {
    const name = `hs-test-events-closed-${uniqueSuffix()}`;
    const events: DockerEvent[] = [];
    let missed = 0;
    const s = followDockerEvents(docker, { filters: { type: ['container'], container: [name] }, onEvent: (e) => events.push(e), onMissed: () => missed++ });
    await sleep(300);
    s.close();
    await docker.createContainer({ Image: TEST_IMAGE, name, Labels: { [TEST_LABEL]: tag } });
    await sleep(500);
    expect(events).toEqual([]);
    expect(missed).toBe(0);
  });
});

privateDockerd.describe('Docker events across an engine restart', () => {
  privateDockerd.it('reopens the stream with backoff, says events may have been missed, and keeps handing them over', async () => {
    engine = await startPrivateDockerd();
    const events: DockerEvent[] = [];
    let missed = 0;
    stream = followDockerEvents(engine.docker, {
      filters: { type: ['volume'] },
      onEvent: (e) => events.push(e),
      onMissed: () => missed++,
      retry: { firstMs: 50, maxMs: 200 },
    });
    await sleep(300);
    await engine.docker.createVolume({ Name: `before-${uniqueSuffix()}` });
    await waitUntil('the event before the restart', () => events.length === 1);

    await engine.restart();
    await waitUntil('the stream is back', () => missed === 1, 10_000);
    const after = `after-${uniqueSuffix()}`;
    await engine.docker.createVolume({ Name: after });
    await waitUntil('the event after the restart', () => events.some((e) => e.Action === 'create' && e.Actor?.ID === after), 10_000);
    expect(events.map((e) => e.Type)).toEqual(['volume', 'volume']);
  }, 60_000);
});
