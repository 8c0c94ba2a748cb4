import { describe, expect, it } from 'vitest';
import { formatDevice, parseMountInfo } from './mounts.js';

describe('mountinfo', () => {
  it('reads mount point, device, fstype and source; decodes octal escapes; skips optional fields', () => {
    const text = [
      '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
      '40 36 0:52 / /tmp/lab\\040one/data rw,relatime shared:7 master:2 - tmpfs homeostat-test rw,size=1024k',
      'garbage',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { mountPoint: '/mnt2', device: '98:0', fstype: 'ext3', source: '/dev/root' },
      { mountPoint: '/tmp/lab one/data', device: '0:52', fstype: 'tmpfs', source: 'homeostat-test' },
    ]);
  });

  it('formats st_dev as major:minor', () => {
    expect(formatDevice(2049)).toBe('8:1');
    expect(formatDevice(52)).toBe('0:52');
    expect(formatDevice((259 << 8) | 3)).toBe('259:3');
  });
});
