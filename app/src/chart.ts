/**
 * The share-rate chart: an inline SVG line of the rate after each oracle report
 * (`ReportApplied`: postTotalEther / postTotalShares), dated by the report's reference slot. It is
 * drawn at the width it is shown at (one SVG unit per CSS pixel), so its labels keep their font size
 * on a phone instead of shrinking with the picture.
 */

/** One report: when (Unix seconds) and the ETH per share after it. */
export interface RatePoint {
  time: number;
  rate: number;
}

/** Font size of the labels, in CSS pixels. */
export const CHART_FONT_PX = 12;
/** Widest drawing, in CSS pixels (wider containers centre it). */
export const CHART_MAX_WIDTH = 720;
/** Narrowest drawing: below it the chart scales down rather than squeezes its labels together. */
const MIN_WIDTH = 240;
/** Rough width of a digit relative to the font size. */
const CHAR_WIDTH = 0.62;

const date = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/**
 * The SVG markup for `points`, `width` CSS pixels wide (numbers only: nothing from outside is
 * interpolated as text).
 */
export function rateChartSvg(points: RatePoint[], width: number): string {
  const W = Math.round(Math.max(MIN_WIDTH, Math.min(CHART_MAX_WIDTH, width)));
  const H = Math.round(Math.max(170, Math.min(230, W * 0.4)));
  const xs = points.map((p) => p.time);
  const ys = points.map((p) => p.rate);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) [x0, x1] = [x0 - 43_200, x1 + 43_200];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 1e-6, y1 + 1e-6];
  const yTicks = [y0, (y0 + y1) / 2, y1].map((y) => y.toFixed(6));
  const labelWidth = Math.max(...yTicks.map((t) => t.length)) * CHART_FONT_PX * CHAR_WIDTH;
  const pad = { left: Math.ceil(labelWidth + 12), right: 12, top: 12, bottom: CHART_FONT_PX + 18 };
  const sx = (x: number): number => pad.left + ((x - x0) / (x1 - x0)) * (W - pad.left - pad.right);
  const sy = (y: number): number => H - pad.bottom - ((y - y0) / (y1 - y0)) * (H - pad.top - pad.bottom);
  const line = points
    .map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.time).toFixed(1)},${sy(p.rate).toFixed(1)}`)
    .join(" ");
  const dots = points
    .map((p) => `<circle cx="${sx(p.time).toFixed(1)}" cy="${sy(p.rate).toFixed(1)}" r="4" fill="#0b6bcb"/>`)
    .join("");
  const text = `font-size="${CHART_FONT_PX}" fill="#4a5a70"`;
  const grid = [y0, (y0 + y1) / 2, y1]
    .map(
      (y, i) =>
        `<line x1="${pad.left}" x2="${W - pad.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#dde4ee"/>` +
        `<text x="${pad.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" ${text}>${yTicks[i]}</text>`,
    )
    .join("");
  const xLabels =
    `<text x="${pad.left}" y="${H - 8}" ${text}>${date(x0)}</text>` +
    `<text x="${W - pad.right}" y="${H - 8}" text-anchor="end" ${text}>${date(x1)}</text>`;
  return (
    `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" aria-hidden="true">` +
    `${grid}<path d="${line}" fill="none" stroke="#0b6bcb" stroke-width="2.5"/>${dots}${xLabels}</svg>`
  );
}
