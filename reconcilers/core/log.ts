/**
 * Logging: pino, JSON when stdout is not a TTY (systemd, CI), readable when it is. Every line passes through the
 * redactor (core/redact.ts) twice: the logged object before it is serialized (strings in fields, an error's message,
 * stack and causes), and the finished line before it is written (the message, child bindings, anything else) — so
 * a secret value that ends up in an error is shown as `<secret sha256:…>`, never as itself.
 */
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redact, redactDeep } from './redact.js';

export type { Logger };

/** An Error, serialized as pino does (type, message and stack with causes, own fields), then redacted. */
function redactedError(err: unknown): unknown {
  if (!(err instanceof Error)) return redactDeep(err);
  return redactDeep({ ...(stdSerializers.err(err) as unknown as Record<string, unknown>) });
}

/** The pino options that route everything a line carries through `redact`. */
const redactingOptions: Pick<LoggerOptions, 'formatters' | 'serializers' | 'hooks'> = {
  formatters: {
    log: (object) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(object)) out[key] = value instanceof Error ? redactedError(value) : redactDeep(value);
      return out;
    },
  },
  serializers: { err: redactedError },
  // The finished JSON line: values are registered JSON-escaped too, so they are found inside it.
  hooks: { streamWrite: redact },
};

/**
 * `async`: lines are written to stdout without blocking (the daemon: a cold start of a thousand resources spent
 * ~0.6 s in one write(2) per line, under load); what is buffered is flushed when the process exits.
 */
export function createLogger(opts: { level?: string; pretty?: boolean; destination?: DestinationStream; async?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.HOMEOSTAT_LOG_LEVEL ?? 'info';
  if (opts.destination) return pino({ level, ...redactingOptions }, opts.destination);
  const pretty = opts.pretty ?? process.stdout.isTTY;
  if (opts.async && !pretty) {
    const destination = pino.destination({ dest: 1, sync: false });
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // stdout is gone (a closed pipe): nothing left to tell
      }
    });
    return pino({ level, ...redactingOptions }, destination);
  }
  if (pretty) {
    return pino({
      level,
      ...redactingOptions,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } },
    });
  }
  return pino({ level, ...redactingOptions });
}

/** A logger that drops everything (tests, one-shot CLI commands). */
export const silentLogger: Logger = pino({ level: 'silent' });
