import { pino } from 'pino';
import type { Config } from './config.js';

export type Logger = pino.Logger;

/** Structured JSON logs; the node id is on every line. */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeId'>): Logger {
  return pino({ level: config.logLevel, base: { node: config.nodeId } });
}
