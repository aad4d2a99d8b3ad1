/**
 * The process logger: JSON lines for machines, pretty lines when a person watches a terminal.
 */
import pino, { type Logger } from 'pino';

/** Makes the root logger; subsystems take `log.child({ sub: 'name' })`. */
export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  return pino({
    level,
    base: { service: 'blgv-lsp' },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { ignore: 'pid,hostname,service', translateTime: 'HH:MM:ss' },
          },
        }
      : {}),
  });
}
