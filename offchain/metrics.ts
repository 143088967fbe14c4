/**
 * Counters and gauges rendered in Prometheus' text exposition format 0.0.4, and a small HTTP server
 * for a daemon: `GET /metrics` (that text) and `GET /health` (JSON `{"status":"ok"|"degraded",
 * "reasons":[…]}`, 200 when ok, 503 when degraded). It binds 127.0.0.1 unless told otherwise: a
 * Prometheus agent on the same host scrapes it; nothing is exposed to the network by default.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Label values by label name. */
export type Labels = Record<string, string>;

/** The Content-Type of the text exposition format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function renderValue(value: number | bigint): string {
  if (typeof value === "bigint") return value.toString();
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function key(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k])}"`)
    .join(",");
}

/** A metric family: its samples by label set, in the order they were first set. */
abstract class Metric {
  protected readonly samples = new Map<string, number | bigint>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
  ) {}

  /** The value of the sample with `labels`, if it has been set. */
  get(labels: Labels = {}): number | bigint | undefined {
    return this.samples.get(key(labels));
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const [labels, value] of this.samples) {
      lines.push(`${this.name}${labels === "" ? "" : `{${labels}}`} ${renderValue(value)}`);
    }
    return lines.join("\n");
  }
}

/** A value that only goes up. Declare label sets with `init` so that they are exported as 0 before any event. */
export class Counter extends Metric {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  init(labels: Labels = {}): this {
    if (!this.samples.has(key(labels))) this.samples.set(key(labels), 0);
    return this;
  }
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    const current = this.samples.get(key(labels)) ?? 0;
    this.samples.set(key(labels), Number(current) + by);
  }
}

/** A value that is set. A gauge never set is exported with its HELP and TYPE lines only. */
export class Gauge extends Metric {
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(value: number | bigint, labels: Labels = {}): void {
    this.samples.set(key(labels), value);
  }
}

/** The metrics a daemon exports, in registration order. */
export class MetricsRegistry {
  private readonly metrics: Metric[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }

  /** Every metric in the text exposition format 0.0.4 (ends with a newline). */
  render(): string {
    return this.metrics.map((m) => m.render()).join("\n") + "\n";
  }

  private add<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} exists already`);
    this.metrics.push(metric);
    return metric;
  }
}

/** What `/health` answers: ok, or degraded with the reasons in words. */
export interface Health {
  status: "ok" | "degraded";
  reasons: string[];
}

export interface MetricsServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` and `GET /health` on `host:port` (port 0: any free one). Anything else is
 * 404; a method other than GET or HEAD is 405.
 */
export function startMetricsServer(options: {
  port: number;
  host?: string;
  registry: MetricsRegistry;
  health: () => Health;
}): Promise<MetricsServer> {
  const host = options.host ?? "127.0.0.1";
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
      res.end("method not allowed\n");
      return;
    }
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE });
      res.end(req.method === "HEAD" ? undefined : options.registry.render());
    } else if (path === "/health") {
      const health = options.health();
      res.writeHead(health.status === "ok" ? 200 : 503, { "content-type": "application/json" });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify(health) + "\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found: try /metrics or /health\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
