/**
 * A small, dependency-free SVG line chart: one x axis, a left and a right y axis that scale
 * independently, a legend and vertical markers. Used by the demo to draw the share rate and TVL over
 * the simulated month. Everything here is pure: no I/O, the input is never modified.
 */

/** One line on the chart. */
export interface Series {
  /** Shown in the legend. */
  name: string;
  /** Shown in the legend and as the title of the series' y axis, e.g. "ETH". May be empty. */
  unit: string;
  /** Any SVG paint, e.g. "#1f77b4" or "teal". */
  color: string;
  /** Drawn in the order given; all coordinates must be finite. */
  points: { x: number; y: number }[];
  /** Which y axis the series is scaled against. */
  axis: "left" | "right";
}

/** A vertical dashed line across the plot at `x`, e.g. "slashing", "bunker ends". */
export interface Marker {
  x: number;
  label: string;
}

/** Everything `renderChartSvg` draws. */
export interface Chart {
  title: string;
  xLabel: string;
  /** Pixels; 960 unless given. */
  width?: number;
  /** Pixels; 480 unless given. */
  height?: number;
  series: Series[];
  markers?: Marker[];
}

/** Evenly spaced "nice" tick values: `step` is 1, 2 or 5 × 10^k, `ticks[0]` ≤ min, last tick ≥ max. */
export interface NiceTicks {
  step: number;
  ticks: number[];
}

/** Bounds beyond this size are refused: ticks and padding around them could overflow to Infinity. */
const MAX_BOUND = 1e300;
/** Spans below this cannot be split into decimal steps (10^-308 and below are not normal doubles). */
const NEGLIGIBLE = 1e-280;
/** Default size of the document in pixels. */
const DEFAULT_WIDTH = 960;
const DEFAULT_HEIGHT = 480;
/** Tick count asked of niceTicks for the x axis, which ends at its first and last tick: 5–10 ticks. */
const X_TICKS = 8;
/**
 * Tick count asked of niceTicks for a y axis, which ends at the padded data range: the ticks at or beyond
 * its ends are dropped, which leaves about 4–7.
 */
const Y_TICKS = 8;
/** Share of the data's span added above and below it on the y axes, so lines do not touch the frame. */
const Y_PADDING = 0.05;
/** Rough width of one character relative to the font size (sans-serif, digits). */
const CHAR_WIDTH = 0.6;
const FONT_SIZE = 12;
const TITLE_FONT_SIZE = 16;
const LEGEND_ROW = 18;

/**
 * The range to use when a range is empty (or too narrow to tick at float precision): `value` ± a small
 * amount, 0.1% of its size (or ±1 around zero, which includes values too small for decimal steps).
 */
function flatRange(value: number): [number, number] {
  const pad = Math.abs(value) < NEGLIGIBLE * 1e10 ? 1 : Math.abs(value) * 1e-3;
  return [value - pad, value + pad];
}

/** True if [lo, hi] is too narrow to split into distinct ticks at float precision (~1e-9 of the values). */
function isFlat(lo: number, hi: number): boolean {
  return hi - lo <= Math.max(Math.abs(lo) * 1e-9, Math.abs(hi) * 1e-9, NEGLIGIBLE);
}

/** m × 10^e, computed so that decimal steps come out as the nearest double (e.g. 5e-4, not 5.000…1e-4). */
function scaled(m: number, e: number): number {
  return e < 0 ? m / 10 ** -e : m * 10 ** e;
}

/**
 * Nice ticks covering [min, max]: the step is 1, 2 or 5 × 10^k, chosen so that the number of ticks is as
 * close to `count` as possible (ties go to the larger step); the first tick is at or below `min`, the
 * last at or above `max`, so the ticks also give the axis range. `min` and `max` may come in either
 * order; if they are equal (a flat series) the range is widened by a small amount around the value.
 * Throws a RangeError for bounds that are not finite or exceed 1e300 in size, or a count below 2.
 * Tick values are multiples of the step rounded to the nearest double (1.0005, not 1.0005000000000002).
 */
export function niceTicks(min: number, max: number, count: number): NiceTicks {
  if (!(Math.abs(min) <= MAX_BOUND && Math.abs(max) <= MAX_BOUND)) {
    throw new RangeError(`niceTicks: bounds must be finite and at most ${MAX_BOUND} in size`);
  }
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`niceTicks: count must be an integer ≥ 2`);
  let lo = Math.min(min, max);
  let hi = Math.max(min, max);
  // A span below ~1e-9 of the values cannot be split into distinct doubles reliably: treat it as flat.
  if (isFlat(lo, hi)) [lo, hi] = flatRange((lo + hi) / 2);

  const e0 = Math.floor(Math.log10((hi - lo) / (count - 1)));
  let best: { m: number; e: number; first: number; last: number } | undefined;
  for (let e = e0 + 1; e >= e0 - 1; e--) {
    for (const m of [5, 2, 1]) {
      const step = scaled(m, e);
      const at = (k: number) => scaled(k * m, e);
      // Start from the float estimate, then correct it so that the tick values themselves bracket the range.
      let first = Math.floor(lo / step);
      while (at(first + 1) <= lo) first++;
      while (at(first) > lo) first--;
      let last = Math.ceil(hi / step);
      while (at(last - 1) >= hi) last--;
      while (at(last) < hi) last++;
      const n = last - first + 1;
      // Candidates run from the largest step down: only a strictly better count replaces the best.
      if (best === undefined || Math.abs(n - count) < Math.abs(best.last - best.first + 1 - count)) {
        best = { m, e, first, last };
      }
    }
  }
  const { m, e, first, last } = best!;
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(scaled(k * m, e) + 0); // + 0: no -0
  return { step: scaled(m, e), ticks };
}

/** Short-scale suffixes for big steps: labels on one axis share the suffix because they share the step. */
const SUFFIXES: [number, string][] = [
  [1e12, "T"],
  [1e9, "B"],
  [1e6, "M"],
  [1e3, "k"],
];

/**
 * A tick label for `value` on an axis whose ticks are `step` apart: just enough decimals to tell
 * neighbouring ticks apart (step 0.0005 → "1.0005", step 2e-6 → "1.002900"), no float noise, no "-0".
 * Steps of 1000 and more are written with a suffix (k, M, B, T: 12000 with step 1000 → "12k").
 */
export function formatTick(value: number, step: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`formatTick: value must be finite`);
  if (!Number.isFinite(step) || step <= 0) throw new RangeError(`formatTick: step must be finite and > 0`);
  const [scale, suffix] = SUFFIXES.find(([s]) => Math.abs(step) >= s) ?? [1, ""];
  const s = step / scale;
  // Fewest decimals at which the step is a whole number of units (up to float noise).
  let decimals = 0;
  while (decimals < 20) {
    const units = s * 10 ** decimals;
    if (Math.abs(units - Math.round(units)) <= 1e-9 * Math.max(1, units)) break;
    decimals++;
  }
  let text = (value / scale).toFixed(decimals);
  if (/^-0(\.0*)?$/.test(text)) text = text.slice(1);
  return text + suffix;
}

/** `s` as XML character data or attribute content: markup characters escaped, characters XML forbids dropped. */
function xml(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;")
  );
}

/** A coordinate with at most two decimals, no trailing zeros, no "-0". */
function px(n: number): string {
  const r = Math.round(n * 100) / 100;
  return String(r === 0 ? 0 : r);
}

/** Estimated rendered width of `text` in pixels. */
function textWidth(text: string, fontSize = FONT_SIZE): number {
  return text.length * fontSize * CHAR_WIDTH;
}

/** The smallest and largest of `values`, or undefined if there are none. */
function extent(values: number[]): [number, number] | undefined {
  if (values.length === 0) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

/** A y axis: its series, its range (the data's plus padding), the nice ticks inside it and their labels. */
interface YAxis {
  side: "left" | "right";
  series: Series[];
  domain: [number, number];
  ticks: number[];
  labels: string[];
  title: string;
}

/** The y axis for the series on `side`, or undefined if there are none. */
function yAxis(side: "left" | "right", all: Series[]): YAxis | undefined {
  const series = all.filter((s) => s.axis === side);
  if (series.length === 0) return undefined;
  const [min, max] = extent(series.flatMap((s) => s.points.map((p) => p.y))) ?? [0, 1];
  const pad = (max - min) * Y_PADDING;
  let domain: [number, number] = [min - pad, max + pad];
  if (isFlat(...domain)) domain = flatRange((min + max) / 2);
  // niceTicks covers the domain with one tick at or beyond each end: keep those inside it.
  const nice = niceTicks(domain[0], domain[1], Y_TICKS);
  const slack = nice.step * 1e-9;
  const ticks = nice.ticks.filter((t) => t >= domain[0] - slack && t <= domain[1] + slack);
  const labels = ticks.map((t) => formatTick(t, nice.step));
  const units = [...new Set(series.map((s) => s.unit).filter((u) => u !== ""))];
  return { side, series, domain, ticks, labels, title: units.join(", ") };
}

/** Maps [d0, d1] onto [r0, r1] linearly. */
function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/**
 * Renders `chart` as a standalone SVG 1.1 document (with XML declaration, xmlns, width, height and
 * viewBox). The x axis spans the data and the markers, widened to the nice ticks around them. Each y axis
 * spans the data of its own series plus 5% padding above and below, not from zero, so that small moves
 * (a share rate going 1.000000 → 1.002900) fill the plot; a flat series gets a small range around its
 * value. Each series with points becomes one `<polyline class="series">` (in series order) with one
 * point per input point, in input order; markers are dashed vertical lines with a label. All text is
 * XML-escaped. Throws a RangeError on non-finite coordinates or a size too small to hold the plot.
 */
export function renderChartSvg(chart: Chart): string {
  const width = chart.width ?? DEFAULT_WIDTH;
  const height = chart.height ?? DEFAULT_HEIGHT;
  if (!(Number.isFinite(width) && width > 0 && Number.isFinite(height) && height > 0)) {
    throw new RangeError(`renderChartSvg: width and height must be finite and > 0`);
  }
  const markers = chart.markers ?? [];
  for (const s of chart.series) {
    if (s.axis !== "left" && s.axis !== "right") {
      throw new RangeError(`renderChartSvg: series "${s.name}" has axis ${String(s.axis)}, not "left" or "right"`);
    }
    for (const p of s.points) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
        throw new RangeError(`renderChartSvg: series "${s.name}" has a non-finite point (${p.x}, ${p.y})`);
      }
    }
  }
  for (const m of markers) {
    if (!Number.isFinite(m.x)) throw new RangeError(`renderChartSvg: marker "${m.label}" has a non-finite x`);
  }

  // Scales: ticks first, since the tick labels decide the margins.
  const xRange = extent([...chart.series.flatMap((s) => s.points.map((p) => p.x)), ...markers.map((m) => m.x)]);
  const xTicks = xRange ? niceTicks(xRange[0], xRange[1], X_TICKS) : niceTicks(0, 1, X_TICKS);
  const xLabels = xTicks.ticks.map((t) => formatTick(t, xTicks.step));
  const left = yAxis("left", chart.series);
  const right = yAxis("right", chart.series);

  // Layout.
  const axisWidth = (axis: YAxis | undefined) =>
    axis ? 8 + Math.max(...axis.labels.map((l) => textWidth(l))) + 8 + (axis.title ? FONT_SIZE + 10 : 0) : 0;
  const marginLeft = Math.max(axisWidth(left), textWidth(xLabels[0]) / 2) + 16;
  const marginRight = Math.max(axisWidth(right), textWidth(xLabels[xLabels.length - 1]) / 2) + 16;
  const plotLeft = marginLeft;
  const plotRight = width - marginRight;

  const bothAxes = left !== undefined && right !== undefined;
  const legendItems = chart.series.map((s) => {
    const detail = [s.unit, bothAxes ? `${s.axis} axis` : ""].filter((d) => d !== "").join(", ");
    const text = detail ? `${s.name} (${detail})` : s.name;
    return { series: s, text, width: 24 + textWidth(text) };
  });
  const legendRows: (typeof legendItems)[] = [];
  let rowWidth = Infinity;
  for (const item of legendItems) {
    if (rowWidth + 16 + item.width > plotRight - plotLeft) {
      legendRows.push([]);
      rowWidth = -16;
    }
    legendRows[legendRows.length - 1].push(item);
    rowWidth += 16 + item.width;
  }
  const titleY = 12 + TITLE_FONT_SIZE;
  const legendTop = titleY + 10;
  const plotTop = legendTop + legendRows.length * LEGEND_ROW + 12;
  const plotBottom = height - (8 + FONT_SIZE + 8 + (chart.xLabel ? FONT_SIZE + 10 : 0) + 10);
  if (plotRight - plotLeft < 10 || plotBottom - plotTop < 10) {
    throw new RangeError(`renderChartSvg: ${width}×${height} is too small for the plot`);
  }

  const xFirst = xTicks.ticks[0];
  const xLast = xTicks.ticks[xTicks.ticks.length - 1];
  const sx = linear(xFirst, xLast, plotLeft, plotRight);
  const syOf = (axis: YAxis) => linear(axis.domain[0], axis.domain[1], plotBottom, plotTop);

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${px(width)}" height="${px(height)}" ` +
      `viewBox="0 0 ${px(width)} ${px(height)}" font-family="sans-serif" font-size="${FONT_SIZE}">`,
  );
  out.push(`<title>${xml(chart.title)}</title>`);
  out.push(`<rect class="background" x="0" y="0" width="${px(width)}" height="${px(height)}" fill="#ffffff"/>`);
  out.push(
    `<text class="title" x="${px(width / 2)}" y="${px(titleY)}" text-anchor="middle" ` +
      `font-size="${TITLE_FONT_SIZE}" font-weight="bold">${xml(chart.title)}</text>`,
  );

  // Legend.
  out.push(`<g class="legend">`);
  legendRows.forEach((row, r) => {
    const y = legendTop + r * LEGEND_ROW + LEGEND_ROW / 2;
    let x = plotLeft;
    for (const item of row) {
      out.push(
        `<line x1="${px(x)}" y1="${px(y)}" x2="${px(x + 18)}" y2="${px(y)}" stroke="${xml(item.series.color)}" ` +
          `stroke-width="3"/>`,
      );
      out.push(`<text x="${px(x + 24)}" y="${px(y + 4)}">${xml(item.text)}</text>`);
      x += item.width + 16;
    }
  });
  out.push(`</g>`);

  // Grid: vertical lines at x ticks, horizontal lines at the ticks of the left axis (else the right one).
  const gridAxis = left ?? right;
  out.push(`<g class="grid" stroke="#e6e6e6" stroke-width="1">`);
  for (const t of xTicks.ticks) {
    out.push(`<line x1="${px(sx(t))}" y1="${px(plotTop)}" x2="${px(sx(t))}" y2="${px(plotBottom)}"/>`);
  }
  if (gridAxis) {
    const sy = syOf(gridAxis);
    for (const t of gridAxis.ticks) {
      out.push(`<line x1="${px(plotLeft)}" y1="${px(sy(t))}" x2="${px(plotRight)}" y2="${px(sy(t))}"/>`);
    }
  }
  out.push(`</g>`);
  out.push(
    `<rect class="plot-area" x="${px(plotLeft)}" y="${px(plotTop)}" width="${px(plotRight - plotLeft)}" ` +
      `height="${px(plotBottom - plotTop)}" fill="none" stroke="#808080" stroke-width="1"/>`,
  );

  // X axis.
  out.push(`<g class="axis x-axis">`);
  xTicks.ticks.forEach((t, i) => {
    const x = px(sx(t));
    out.push(`<line x1="${x}" y1="${px(plotBottom)}" x2="${x}" y2="${px(plotBottom + 6)}" stroke="#808080"/>`);
    out.push(
      `<text class="tick" x="${x}" y="${px(plotBottom + 8 + FONT_SIZE)}" text-anchor="middle">${xml(xLabels[i])}</text>`,
    );
  });
  if (chart.xLabel) {
    out.push(
      `<text class="axis-label" x="${px((plotLeft + plotRight) / 2)}" y="${px(plotBottom + 8 + FONT_SIZE + 8 + FONT_SIZE)}" ` +
        `text-anchor="middle">${xml(chart.xLabel)}</text>`,
    );
  }
  out.push(`</g>`);

  // Y axes.
  for (const axis of [left, right]) {
    if (!axis) continue;
    const sy = syOf(axis);
    const isLeft = axis.side === "left";
    const edge = isLeft ? plotLeft : plotRight;
    const dir = isLeft ? -1 : 1;
    out.push(`<g class="axis y-axis-${axis.side}">`);
    axis.ticks.forEach((t, i) => {
      const y = px(sy(t));
      out.push(`<line x1="${px(edge)}" y1="${y}" x2="${px(edge + dir * 6)}" y2="${y}" stroke="#808080"/>`);
      out.push(
        `<text class="tick" x="${px(edge + dir * 8)}" y="${px(sy(t) + 4)}" text-anchor="${isLeft ? "end" : "start"}">` +
          `${xml(axis.labels[i])}</text>`,
      );
    });
    if (axis.title) {
      const x = isLeft ? 10 + FONT_SIZE / 2 : width - 10 - FONT_SIZE / 2;
      const y = (plotTop + plotBottom) / 2;
      out.push(
        `<text class="axis-label" x="${px(x)}" y="${px(y)}" text-anchor="middle" ` +
          `transform="rotate(${isLeft ? -90 : 90} ${px(x)} ${px(y)})">${xml(axis.title)}</text>`,
      );
    }
    out.push(`</g>`);
  }

  // Markers, left to right, labels staggered over three rows so that neighbours do not overlap as often.
  out.push(`<g class="markers">`);
  [...markers]
    .sort((a, b) => a.x - b.x)
    .forEach((m, i) => {
      const x = sx(m.x);
      const nearRight = x > plotLeft + 0.75 * (plotRight - plotLeft);
      out.push(
        `<line class="marker" x1="${px(x)}" y1="${px(plotTop)}" x2="${px(x)}" y2="${px(plotBottom)}" ` +
          `stroke="#555555" stroke-width="1" stroke-dasharray="5 4"/>`,
      );
      out.push(
        `<text class="marker-label" x="${px(nearRight ? x - 4 : x + 4)}" y="${px(plotTop + 14 + (i % 3) * 14)}" ` +
          `text-anchor="${nearRight ? "end" : "start"}" fill="#555555">${xml(m.label)}</text>`,
      );
    });
  out.push(`</g>`);

  // Series.
  out.push(`<g class="series-lines">`);
  for (const s of chart.series) {
    if (s.points.length === 0) continue;
    const sy = syOf(s.axis === "left" ? left! : right!);
    const color = xml(s.color);
    const points = s.points.map((p) => `${px(sx(p.x))},${px(sy(p.y))}`).join(" ");
    out.push(
      `<polyline class="series" points="${points}" fill="none" stroke="${color}" stroke-width="2" ` +
        `stroke-linejoin="round" stroke-linecap="round"><title>${xml(s.name)}</title></polyline>`,
    );
    // A polyline of one point draws nothing: show the point.
    if (s.points.length === 1) {
      const [p] = s.points;
      out.push(`<circle cx="${px(sx(p.x))}" cy="${px(sy(p.y))}" r="3" fill="${color}"/>`);
    }
  }
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
