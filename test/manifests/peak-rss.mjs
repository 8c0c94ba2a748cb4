/**
 * Preloaded into a child process (`node --import ./peak-rss.mjs ...`): when it exits, writes its peak resident
 * memory (getrusage's maxrss, in KiB) to stderr as `peak-rss-kib N`, for tests that bound a process's memory.
 */
process.on('exit', () => process.stderr.write(`peak-rss-kib ${process.resourceUsage().maxRSS}\n`));
