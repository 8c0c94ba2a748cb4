import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['controller/**/*.test.ts', 'reconcilers/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests share real daemons (sshd, dockerd, LXC): run files one at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
