/**
 * The share-rate chart: an inline SVG line of the rate after each oracle report
 * (`ReportApplied`: postTotalEther / postTotalShares), dated by the report's reference slot.
 */

/** One report: when (Unix seconds) and the ETH per share after it. */
export interface RatePoint {
  time: number;
  rate: number;
}

const W = 600;
const H = 220;
const PAD = { left: 92, right: 16, top: 14, bottom: 34 };

const date = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/** The SVG markup for `points` (numbers only: nothing from outside is interpolated as text). */
export function rateChartSvg(points: RatePoint[]): string {
  const xs = points.map((p) => p.time);
  const ys = points.map((p) => p.rate);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) [x0, x1] = [x0 - 43_200, x1 + 43_200];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 1e-6, y1 + 1e-6];
  const sx = (x: number): number => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number): number => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const line = points
    .map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.time).toFixed(1)},${sy(p.rate).toFixed(1)}`)
    .join(" ");
  const dots = points
    .map((p) => `<circle cx="${sx(p.time).toFixed(1)}" cy="${sy(p.rate).toFixed(1)}" r="4" fill="#0b6bcb"/>`)
    .join("");
  const grid = [y0, (y0 + y1) / 2, y1]
    .map(
      (y) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#dde4ee"/>` +
        `<text x="${PAD.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" font-size="14" fill="#5b6b80">${y.toFixed(6)}</text>`,
    )
    .join("");
  const xLabels =
    `<text x="${PAD.left}" y="${H - 8}" font-size="14" fill="#5b6b80">${date(x0)}</text>` +
    `<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end" font-size="14" fill="#5b6b80">${date(x1)}</text>`;
  return (
    `<svg viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" aria-hidden="true">` +
    `${grid}<path d="${line}" fill="none" stroke="#0b6bcb" stroke-width="2.5"/>${dots}${xLabels}</svg>`
  );
}
