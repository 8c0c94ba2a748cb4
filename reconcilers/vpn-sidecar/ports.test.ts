import { describe, expect, it } from 'vitest';
import { dockerPorts, formatBinding, parsePortSpec, portProblems } from './ports.js';

describe('parsePortSpec', () => {
  it('reads the docker run -p forms, one binding per port', () => {
    expect(parsePortSpec('8080:8080')).toEqual({ bindings: [{ hostIp: '', hostPort: 8080, containerPort: 8080, protocol: 'tcp' }] });
    expect(parsePortSpec('127.0.0.1:18080:8080/udp')).toEqual({
      bindings: [{ hostIp: '127.0.0.1', hostPort: 18080, containerPort: 8080, protocol: 'udp' }],
    });
    expect(parsePortSpec('8080')).toEqual({ bindings: [{ hostIp: '', hostPort: null, containerPort: 8080, protocol: 'tcp' }] });
    const range = parsePortSpec('6881-6883:6881-6883');
    expect('bindings' in range && range.bindings.map(formatBinding)).toEqual(['6881:6881/tcp', '6882:6882/tcp', '6883:6883/tcp']);
  });

  it('names what is wrong', () => {
    expect(parsePortSpec('70000:80')).toEqual({ problem: '"70000:80": port 70000 is not in 1-65535' });
    expect(parsePortSpec('300.0.0.1:80:80')).toEqual({ problem: '"300.0.0.1:80:80": 300.0.0.1 is not an IPv4 address' });
    expect(parsePortSpec('10-12:10-11')).toHaveProperty('problem', expect.stringContaining('same length'));
    expect(parsePortSpec('12-10:12-10')).toHaveProperty('problem', expect.stringContaining('backwards'));
    expect(parsePortSpec('1-5000:1-5000')).toHaveProperty('problem', expect.stringContaining('at most'));
    expect(parsePortSpec('http')).toHaveProperty('problem');
  });
});

describe('portProblems', () => {
  it('finds a host port published twice, naming both fields', () => {
    const problems = portProblems([
      { field: 'spec.dependents[0].ports[0]', text: '8080:8080' },
      { field: 'spec.dependents[1].ports[0]', text: '127.0.0.1:8080:9090' },
    ]);
    expect(problems).toEqual([
      {
        reason: 'InvalidSpec',
        path: 'spec.dependents[1].ports[0]',
        message: expect.stringContaining('host port 8080/tcp on 127.0.0.1 is already published by spec.dependents[0].ports[0]'),
      },
    ]);
  });

  it('allows the same port on another protocol, on distinct addresses, and unpublished container ports', () => {
    expect(
      portProblems([
        { field: 'a', text: '6881:6881' },
        { field: 'b', text: '6881:6881/udp' },
        { field: 'c', text: '127.0.0.1:9000:9000' },
        { field: 'd', text: '127.0.0.2:9000:9000' },
        { field: 'e', text: '8080' },
        { field: 'f', text: '8080' },
      ]),
    ).toEqual([]);
  });

  it('sees a clash inside ranges', () => {
    expect(portProblems([{ field: 'a', text: '6881-6889:6881-6889' }, { field: 'b', text: '6885:80' }])[0]?.path).toBe('b');
  });
});

describe('dockerPorts', () => {
  it('groups bindings by container port, in a stable order', () => {
    const parsed = ['127.0.0.1:18080:8080', '8081:8080', '6881:6881/udp'].flatMap((t) => {
      const p = parsePortSpec(t);
      return 'bindings' in p ? p.bindings : [];
    });
    expect(dockerPorts(parsed)).toEqual({
      ExposedPorts: { '8080/tcp': {}, '6881/udp': {} },
      PortBindings: {
        '8080/tcp': [
          { HostIp: '127.0.0.1', HostPort: '18080' },
          { HostIp: '', HostPort: '8081' },
        ],
        '6881/udp': [{ HostIp: '', HostPort: '6881' }],
      },
    });
  });
});
