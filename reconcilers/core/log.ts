/**
 * Logging: pino, JSON when stdout is not a TTY (systemd, CI), readable when it is. Secrets never reach a
 * logger: specs only hold secret *file paths*, and values are shown as `<secret sha256:…>`.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.HOMEOSTAT_LOG_LEVEL ?? 'info';
  const pretty = opts.pretty ?? process.stdout.isTTY;
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } } });
  }
  return pino({ level });
}

/** A logger that drops everything (tests, one-shot CLI commands). */
export const silentLogger: Logger = pino({ level: 'silent' });
