/**
 * A small structured logger for the daemons (the oracle's `oracle-report --daemon`; the guardian's may
 * use it too). One line per event, in one of two formats:
 *
 * - text: `2026-12-07T17:52:35Z INFO  <message> key=value …` (UTC to the second, the level padded to
 *   five characters, a value with spaces or quotes in double quotes);
 * - json: one object per line, `{"ts":"2026-12-07T17:52:35Z","level":"info","msg":"<message>",…fields}`.
 *
 * Amounts are given in ETH: {@link ethValue} (wei) and {@link gweiEth} (gwei) turn them into decimal
 * text, and the field's name ends in `_eth`, so that both formats carry the unit without a space.
 */
import { eth } from "../sdk/src/format";

export type LogLevel = "info" | "warn" | "error";
export type LogFormat = "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** A field's value: text, a number, a bigint (a decimal in text, a number in JSON when it fits) or a flag. */
export type LogValue = string | number | bigint | boolean;
/** Fields in the order they are printed; undefined ones are left out. */
export type LogFields = Record<string, LogValue | undefined>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  format?: LogFormat;
  /** Where each line goes (default: `console.log`, stdout). */
  write?: (line: string) => void;
  /** The clock (default: the system's). */
  now?: () => Date;
}

/** ETH as decimal text without the unit, all 18 decimals kept, trailing zeros dropped: 1.5 ETH → "1.5". */
export function ethValue(wei: bigint): string {
  return eth(wei, 18, "");
}

/** A gwei amount (the beacon chain's unit) in ETH, as {@link ethValue}: 32000000001 gwei → "32.000000001". */
export function gweiEth(gwei: bigint): string {
  return ethValue(gwei * 10n ** 9n);
}

/** UTC to the second: 2026-12-07T17:52:35Z. */
export function utcSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function textValue(value: LogValue): string {
  const s = String(value);
  return s === "" || /[\s"=\\]/.test(s) ? JSON.stringify(s) : s;
}

function jsonValue(value: LogValue): string | number | boolean {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return value;
}

/** One log line in `format`, without the newline. */
export function formatLine(format: LogFormat, ts: Date, level: LogLevel, msg: string, fields: LogFields = {}): string {
  const entries = Object.entries(fields).filter((e): e is [string, LogValue] => e[1] !== undefined);
  if (format === "json") {
    const out: Record<string, string | number | boolean> = { ts: utcSeconds(ts), level, msg };
    for (const [key, value] of entries) out[key] = jsonValue(value);
    return JSON.stringify(out);
  }
  const head = `${utcSeconds(ts)} ${level.toUpperCase().padEnd(5)} ${msg}`;
  return entries.length === 0 ? head : `${head} ${entries.map(([k, v]) => `${k}=${textValue(v)}`).join(" ")}`;
}

/** A logger writing one line per call. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? "text";
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) =>
    write(formatLine(format, now(), level, msg, fields));
  return { info: at("info"), warn: at("warn"), error: at("error") };
}
