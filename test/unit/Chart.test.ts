import { expect } from "chai";
import fc from "fast-check";
import { Chart, formatTick, niceTicks, renderChartSvg, Series } from "../../app/src/line-chart";

/** An element of the small XML tree `parseXml` builds. */
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Decoded character data directly inside the element. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes entity and character references; throws on a bare "&" or an unknown entity. */
function decode(s: string, where: string): string {
  if (s.includes("<")) throw new Error(`"<" in ${where}`);
  return s.replace(/&([^;]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(";")) throw new Error(`bare "&" in ${where}`);
    if (ref in ENTITIES) return ENTITIES[ref];
    const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
    if (num) return String.fromCodePoint(num[1] ? parseInt(num[1], 16) : Number(num[2]));
    throw new Error(`unknown entity &${ref}; in ${where}`);
  });
}

/**
 * A minimal well-formedness checker and parser for the SVG we emit: XML declaration, comments, elements
 * with quoted attributes, character data. Throws on unbalanced or crossed tags, duplicate attributes,
 * unescaped "<" or "&", text outside the root, or more than one root; returns the root element.
 */
function parseXml(doc: string): XmlElement {
  let rest = doc.replace(/^<\?xml[^?]*\?>/, "");
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const name = "[A-Za-z_:][-A-Za-z0-9_:.]*";
  const tag = new RegExp(`^<(/?)(${name})((?:\\s+${name}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>`);
  const attr = new RegExp(`(${name})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "g");
  while (rest.length > 0) {
    const lt = rest.indexOf("<");
    const text = lt < 0 ? rest : rest.slice(0, lt);
    if (text.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) {
        if (text.trim() !== "") throw new Error(`text outside the root: ${JSON.stringify(text.slice(0, 40))}`);
      } else top.text += decode(text, `text of <${top.name}>`);
      rest = rest.slice(text.length);
      continue;
    }
    if (rest.startsWith("<!--")) {
      const end = rest.indexOf("-->");
      if (end < 0) throw new Error("unterminated comment");
      rest = rest.slice(end + 3);
      continue;
    }
    const m = tag.exec(rest);
    if (!m) throw new Error(`malformed tag at ${JSON.stringify(rest.slice(0, 40))}`);
    rest = rest.slice(m[0].length);
    const [, closing, tagName, attrText, selfClosing] = m;
    if (closing) {
      if (attrText || selfClosing) throw new Error(`malformed end tag </${tagName}>`);
      const open = stack.pop();
      if (!open || open.name !== tagName) throw new Error(`</${tagName}> closes <${open?.name ?? "nothing"}>`);
      continue;
    }
    const el: XmlElement = { name: tagName, attrs: {}, children: [], text: "" };
    for (const a of attrText.matchAll(attr)) {
      if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]} on <${tagName}>`);
      el.attrs[a[1]] = decode(a[2] ?? a[3], `attribute ${a[1]} of <${tagName}>`);
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw new Error(`second root element <${tagName}>`);
    else root = el;
    if (!selfClosing) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error("no root element");
  return root;
}

/** All elements below `el` (depth first, document order) that match. */
function findAll(el: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  return el.children.flatMap((c) => [...(match(c) ? [c] : []), ...findAll(c, match)]);
}

function hasClass(e: XmlElement, cls: string): boolean {
  return (e.attrs.class ?? "").split(/\s+/).includes(cls);
}

function byClass(el: XmlElement, cls: string): XmlElement[] {
  return findAll(el, (e) => hasClass(e, cls));
}

/** Every text inside `el`, concatenated. */
function allText(el: XmlElement): string {
  return el.text + el.children.map(allText).join("");
}

/** The contents of the `<text>` elements inside `el`, in document order. */
function texts(el: XmlElement): string[] {
  return findAll(el, (e) => e.name === "text").map(allText);
}

/** A polyline's points as numbers. */
function points(polyline: XmlElement): { x: number; y: number }[] {
  return polyline.attrs.points
    .trim()
    .split(/\s+/)
    .map((pair) => {
      const [x, y] = pair.split(",").map(Number);
      return { x, y };
    });
}

function plotArea(svg: XmlElement): { left: number; top: number; right: number; bottom: number } {
  const [rect] = byClass(svg, "plot-area");
  const [x, y, w, h] = ["x", "y", "width", "height"].map((k) => Number(rect.attrs[k]));
  // The attributes are short decimals; their binary sums can fall a hair short (82.8 + 828.8 =
  // 911.5999999999999), so the edges are rounded far below the chart's 0.1-unit precision.
  const edge = (v: number): number => Math.round(v * 1e6) / 1e6;
  return { left: x, top: y, right: edge(x + w), bottom: edge(y + h) };
}

/** Tick label texts of one axis group ("x-axis", "y-axis-left", "y-axis-right"). */
function tickLabels(svg: XmlElement, axis: string): string[] {
  const [group] = byClass(svg, axis);
  return group ? byClass(group, "tick").map(allText) : [];
}

/** True if `step` is 1, 2 or 5 × 10^k (up to float rounding). */
function isNiceStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  return [1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9);
}

/** The share rate over a month in the demo's shape: steady growth, a dip at a slashing, growth again. */
function shareRate(days = 31): { x: number; y: number }[] {
  return Array.from({ length: days }, (_, d) => ({ x: d, y: 1 + d * 0.0001 - (d >= 12 ? 0.00031 : 0) }));
}

function tvl(days = 31): { x: number; y: number }[] {
  return Array.from({ length: days }, (_, d) => ({ x: d, y: 32_000 + d * 150 + (d % 3) * 40 }));
}

function demoChart(overrides: Partial<Chart> = {}): Chart {
  return {
    title: "Tidepool: one month",
    xLabel: "day",
    series: [
      { name: "share rate", unit: "ETH per tpETH", color: "#1f77b4", axis: "left", points: shareRate() },
      { name: "TVL", unit: "ETH", color: "#ff7f0e", axis: "right", points: tvl() },
    ],
    markers: [
      { x: 12, label: "slashing" },
      { x: 20, label: "bunker ends" },
    ],
    ...overrides,
  };
}

describe("SVG chart", function () {
  describe("niceTicks", function () {
    it("gives 1/2/5 × 10^k steps, evenly spaced ticks covering the range, about `count` of them", function () {
      fc.assert(
        fc.property(
          fc.double({ min: -1e9, max: 1e9, noNaN: true }),
          fc.double({ min: 1e-6, max: 1e9, noNaN: true }),
          fc.integer({ min: 2, max: 12 }),
          (min, span, count) => {
            fc.pre(span > Math.abs(min) * 1e-8); // narrower spans count as flat (own test below)
            const max = min + span;
            const { step, ticks } = niceTicks(min, max, count);
            expect(isNiceStep(step), `step ${step}`).to.equal(true);
            expect(ticks[0]).to.be.at.most(min);
            expect(ticks[ticks.length - 1]).to.be.at.least(max);
            // No tick wasted: the second and the one before last are inside the range.
            if (ticks.length > 2) {
              expect(ticks[1]).to.be.greaterThan(min);
              expect(ticks[ticks.length - 2]).to.be.lessThan(max);
            }
            for (let i = 1; i < ticks.length; i++) {
              expect(ticks[i] - ticks[i - 1]).to.be.closeTo(step, step * 1e-6);
            }
            expect(ticks.length).to.be.within(Math.max(2, Math.floor(count / 2)), count * 2);
          },
        ),
        { numRuns: 500 },
      );
    });

    it("gives 6–10 ticks for the demo's x and y ranges", function () {
      for (const [min, max] of [
        [0, 30],
        [0, 31],
        [1, 30],
        [1, 1.0029],
        [0.999855, 1.003045],
        [32_000, 36_500],
      ]) {
        expect(niceTicks(min, max, 8).ticks.length, `${min}..${max}`).to.be.within(6, 10);
      }
    });

    it("steps are exact decimals: tick values carry no float noise", function () {
      const { step, ticks } = niceTicks(0.999855, 1.003045, 8);
      expect(step).to.equal(0.0005);
      expect(ticks).to.deep.equal([0.9995, 1, 1.0005, 1.001, 1.0015, 1.002, 1.0025, 1.003, 1.0035]);
      expect(niceTicks(0, 0.7, 8).ticks).to.include(0.3); // not 0.30000000000000004
      expect(niceTicks(0, 30, 8)).to.deep.equal({ step: 5, ticks: [0, 5, 10, 15, 20, 25, 30] });
      expect(niceTicks(-0.7, -0.05, 8).ticks).to.deep.equal([-0.7, -0.6, -0.5, -0.4, -0.3, -0.2, -0.1, 0]);
      expect(Object.is(niceTicks(-0, 1, 6).ticks[0], 0)).to.equal(true); // 0, not -0
    });

    it("widens a flat range by a small amount around the value", function () {
      for (const v of [1, 0, -3, 1e-7, 32_000, 1e15]) {
        const { step, ticks } = niceTicks(v, v, 6);
        expect(isNiceStep(step)).to.equal(true);
        expect(ticks.length).to.be.within(3, 12);
        expect(ticks[0]).to.be.lessThan(v);
        expect(ticks[ticks.length - 1]).to.be.greaterThan(v);
        // "Small": within 1% of the value (±1 around zero).
        const allowed = v === 0 ? 1 : Math.abs(v) * 0.01;
        expect(v - ticks[0]).to.be.at.most(allowed);
        expect(ticks[ticks.length - 1] - v).to.be.at.most(allowed);
      }
      // A span too narrow for doubles counts as flat rather than giving colliding ticks.
      const { ticks } = niceTicks(1, 1 + 1e-15, 6);
      expect(new Set(ticks).size).to.equal(ticks.length);
    });

    it("accepts the bounds in either order and rejects bad input", function () {
      expect(niceTicks(30, 0, 8)).to.deep.equal(niceTicks(0, 30, 8));
      expect(() => niceTicks(NaN, 1, 8)).to.throw(RangeError);
      expect(() => niceTicks(0, Infinity, 8)).to.throw(RangeError);
      expect(() => niceTicks(-1e308, 1e308, 8)).to.throw(RangeError);
      expect(() => niceTicks(0, 1, 1)).to.throw(RangeError);
      expect(() => niceTicks(0, 1, 2.5)).to.throw(RangeError);
    });
  });

  describe("formatTick", function () {
    it("shows just enough decimals for the step", function () {
      expect(formatTick(1.0005, 0.0005)).to.equal("1.0005");
      expect(formatTick(1, 0.0005)).to.equal("1.0000");
      expect(formatTick(1.0029, 0.000002)).to.equal("1.002900");
      expect(formatTick(1.000001, 0.000001)).to.equal("1.000001");
      expect(formatTick(0.1 + 0.2, 0.1)).to.equal("0.3");
      expect(formatTick(2.5, 0.5)).to.equal("2.5");
      expect(formatTick(25, 5)).to.equal("25");
      expect(formatTick(800, 200)).to.equal("800");
    });

    it("writes big steps with a suffix shared by the whole axis", function () {
      expect(formatTick(12_000, 1_000)).to.equal("12k");
      expect(formatTick(32_500, 500)).to.equal("32500");
      expect(formatTick(2_500_000, 500_000)).to.equal("2500k");
      expect(formatTick(2_000_000, 1_000_000)).to.equal("2M");
      expect(formatTick(3e9, 1e9)).to.equal("3B");
      expect(formatTick(15_000, 5_000)).to.equal("15k");
    });

    it("never prints -0 and handles negative values", function () {
      expect(formatTick(-0, 1)).to.equal("0");
      expect(formatTick(-1e-17, 0.1)).to.equal("0.0");
      expect(formatTick(-0.5, 0.5)).to.equal("-0.5");
      expect(formatTick(-2000, 1000)).to.equal("-2k");
    });

    it("labels every tick of niceTicks distinctly", function () {
      fc.assert(
        fc.property(
          fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
          (min, span) => {
            const { step, ticks } = niceTicks(min, min + span, 8);
            const labels = ticks.map((t) => formatTick(t, step));
            expect(new Set(labels).size).to.equal(labels.length);
            for (let i = 0; i < ticks.length; i++) {
              if (!/[kMBT]$/.test(labels[i])) expect(Number(labels[i])).to.be.closeTo(ticks[i], step * 1e-6);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe("renderChartSvg", function () {
    it("is a well-formed standalone SVG 1.1 document, 960×480 by default", function () {
      const doc = renderChartSvg(demoChart());
      expect(doc.startsWith('<?xml version="1.0"')).to.equal(true);
      expect(doc).to.not.match(/NaN|Infinity|undefined/);
      const svg = parseXml(doc);
      expect(svg.name).to.equal("svg");
      expect(svg.attrs).to.include({
        xmlns: "http://www.w3.org/2000/svg",
        version: "1.1",
        width: "960",
        height: "480",
        viewBox: "0 0 960 480",
      });
      expect(byClass(svg, "title").map(allText)).to.deep.equal(["Tidepool: one month"]);
      expect(allText(byClass(svg, "x-axis")[0])).to.include("day");
      expect(texts(byClass(svg, "legend")[0])).to.deep.equal([
        "share rate (ETH per tpETH, left axis)",
        "TVL (ETH, right axis)",
      ]);
    });

    it("the checker rejects what is not well-formed", function () {
      expect(() => parseXml("<svg><g></svg>")).to.throw();
      expect(() => parseXml("<svg><g></svg></g>")).to.throw();
      expect(() => parseXml("<svg><text>a & b</text></svg>")).to.throw();
      expect(() => parseXml('<svg a="1" a="2"/>')).to.throw();
      expect(() => parseXml("<svg/><svg/>")).to.throw();
      expect(() => parseXml("<svg>")).to.throw();
      expect(parseXml('<svg a="x &amp; y"><t>&lt;&#65;&#x42;</t></svg>').children[0].text).to.equal("<AB");
    });

    it("uses the given size", function () {
      const svg = parseXml(renderChartSvg(demoChart({ width: 640, height: 360 })));
      expect(svg.attrs).to.include({ width: "640", height: "360", viewBox: "0 0 640 360" });
      const area = plotArea(svg);
      expect(area.right).to.be.at.most(640);
      expect(area.bottom).to.be.at.most(360);
    });

    it("draws one polyline per series, with as many points as the input, in order", function () {
      const chart = demoChart();
      chart.series.push({ name: "one point", unit: "", color: "green", axis: "left", points: [{ x: 5, y: 1.001 }] });
      const svg = parseXml(renderChartSvg(chart));
      const lines = byClass(svg, "series");
      expect(lines.map((l) => l.name)).to.deep.equal(["polyline", "polyline", "polyline"]);
      expect(lines.map((l) => points(l).length)).to.deep.equal(chart.series.map((s) => s.points.length));
      expect(lines.map((l) => l.attrs.stroke)).to.deep.equal(["#1f77b4", "#ff7f0e", "green"]);
      expect(lines.map((l) => allText(l))).to.deep.equal(["share rate", "TVL", "one point"]);
      // x follows the input order.
      const xs = points(lines[0]).map((p) => p.x);
      expect(xs).to.deep.equal([...xs].sort((a, b) => a - b));
      // A one-point series is also shown as a dot.
      expect(findAll(svg, (e) => e.name === "circle")).to.have.length(1);
    });

    it("keeps every coordinate inside the plot area", function () {
      const check = (chart: Chart) => {
        const svg = parseXml(renderChartSvg(chart));
        const area = plotArea(svg);
        expect(area.right - area.left).to.be.greaterThan(100);
        expect(area.bottom - area.top).to.be.greaterThan(100);
        for (const line of byClass(svg, "series")) {
          for (const p of points(line)) {
            expect(p.x).to.be.within(area.left, area.right);
            expect(p.y).to.be.within(area.top, area.bottom);
          }
        }
        for (const m of byClass(svg, "marker")) {
          expect(Number(m.attrs.x1)).to.be.within(area.left, area.right);
          expect(Number(m.attrs.y1)).to.equal(area.top);
          expect(Number(m.attrs.y2)).to.equal(area.bottom);
        }
      };
      check(demoChart());
      check(
        demoChart({
          markers: [
            { x: -5, label: "before" },
            { x: 40, label: "after" },
          ],
        }),
      );
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              x: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
              y: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
            }),
            { minLength: 1, maxLength: 20 },
          ),
          fc.boolean(),
          (pts, right) =>
            check({
              title: "t",
              xLabel: "x",
              series: [{ name: "s", unit: "u", color: "red", axis: right ? "right" : "left", points: pts }],
            }),
        ),
        { numRuns: 200 },
      );
    });

    it("maps the highest data point to the smallest y and the lowest to the largest", function () {
      const svg = parseXml(renderChartSvg(demoChart()));
      const [rate, total] = byClass(svg, "series").map(points);
      const argmax = (a: number[]) => a.indexOf(Math.max(...a));
      const argmin = (a: number[]) => a.indexOf(Math.min(...a));
      for (const [drawn, data] of [
        [rate, shareRate()],
        [total, tvl()],
      ]) {
        const ys = data.map((p) => p.y);
        const svgYs = drawn.map((p) => p.y);
        expect(argmin(svgYs)).to.equal(argmax(ys));
        expect(argmax(svgYs)).to.equal(argmin(ys));
        // And in between, the order is kept: higher value, higher on the page.
        for (let i = 1; i < ys.length; i++) {
          if (ys[i] > ys[i - 1]) expect(svgYs[i]).to.be.lessThan(svgYs[i - 1]);
          if (ys[i] < ys[i - 1]) expect(svgYs[i]).to.be.greaterThan(svgYs[i - 1]);
        }
      }
    });

    it("scales the axis to the data, not from zero: a share rate moving in the 5th–6th decimal fills the plot", function () {
      const pts = Array.from({ length: 31 }, (_, d) => ({ x: d, y: 1 + d * 0.0000967 }));
      const svg = parseXml(
        renderChartSvg({
          title: "rate",
          xLabel: "day",
          series: [{ name: "rate", unit: "", color: "blue", axis: "left", points: pts }],
        }),
      );
      const area = plotArea(svg);
      const ys = points(byClass(svg, "series")[0]).map((p) => p.y);
      // The range is the data's plus 5% each side: the line spans 1/1.1 of the height.
      expect(Math.max(...ys) - Math.min(...ys)).to.be.closeTo((area.bottom - area.top) / 1.1, 0.05);
      const labels = tickLabels(svg, "y-axis-left").map(Number);
      // Ticks stay inside the padded data range: 1 - 5% … 1.0029 + 5% of the 0.0029 span.
      const span = 30 * 0.0000967;
      for (const l of labels) expect(l).to.be.within(1 - 0.05 * span, 1 + 1.05 * span);
      expect(labels.length).to.be.within(3, 10);
      expect(labels).to.include(1).and.include(1.002);
      // Neither line touches the frame: there is padding above and below.
      expect(Math.min(...ys)).to.be.greaterThan(area.top);
      expect(Math.max(...ys)).to.be.lessThan(area.bottom);
    });

    it("draws a flat series in the middle of a small range", function () {
      const pts = Array.from({ length: 5 }, (_, d) => ({ x: d, y: 1 }));
      const doc = renderChartSvg({
        title: "flat",
        xLabel: "day",
        series: [{ name: "rate", unit: "", color: "blue", axis: "left", points: pts }],
      });
      expect(doc).to.not.match(/NaN|Infinity/);
      const svg = parseXml(doc);
      const area = plotArea(svg);
      for (const p of points(byClass(svg, "series")[0])) {
        expect(p.y).to.be.closeTo((area.top + area.bottom) / 2, 1);
      }
      const labels = tickLabels(svg, "y-axis-left").map(Number);
      expect(Math.min(...labels)).to.be.within(0.99, 1);
      expect(Math.max(...labels)).to.be.within(1, 1.01);
    });

    it("scales the left and right axes independently", function () {
      const base = renderChartSvg(demoChart());
      const scaledUp = demoChart();
      scaledUp.series[1] = { ...scaledUp.series[1], points: tvl().map((p) => ({ x: p.x, y: p.y * 1000 })) };
      const bigger = renderChartSvg(scaledUp);

      const [baseRate, baseTvl] = byClass(parseXml(base), "series").map(points);
      const [rate, tvlLine] = byClass(parseXml(bigger), "series").map(points);
      // Each series spans most of the plot height on its own axis.
      const area = plotArea(parseXml(base));
      for (const line of [baseRate, baseTvl, rate, tvlLine]) {
        const ys = line.map((p) => p.y);
        expect(Math.max(...ys) - Math.min(...ys)).to.be.closeTo((area.bottom - area.top) / 1.1, 0.05);
      }
      // Multiplying the right series by 1000 leaves the left axis and the left line's heights alone...
      expect(rate.map((p) => p.y)).to.deep.equal(baseRate.map((p) => p.y));
      expect(tickLabels(parseXml(bigger), "y-axis-left")).to.deep.equal(tickLabels(parseXml(base), "y-axis-left"));
      // ...and the right line keeps its shape, only the right axis labels change.
      expect(tvlLine.map((p) => p.y)).to.deep.equal(baseTvl.map((p) => p.y));
      expect(tickLabels(parseXml(base), "y-axis-right")).to.include("32k");
      expect(tickLabels(parseXml(bigger), "y-axis-right")).to.include("32M");

      expect(tickLabels(parseXml(base), "y-axis-left")).to.include("1.0010");
      expect(allText(byClass(parseXml(base), "y-axis-left")[0])).to.include("ETH per tpETH");
      expect(allText(byClass(parseXml(base), "y-axis-right")[0])).to.include("ETH");
    });

    it("draws only the axes that have series", function () {
      const onlyRight = demoChart({ series: [demoChart().series[1]] });
      const svg = parseXml(renderChartSvg(onlyRight));
      expect(byClass(svg, "y-axis-left")).to.have.length(0);
      expect(byClass(svg, "y-axis-right")).to.have.length(1);
      expect(texts(byClass(svg, "legend")[0])).to.deep.equal(["TVL (ETH)"]);
      const empty = parseXml(renderChartSvg({ title: "nothing", xLabel: "x", series: [] }));
      expect(byClass(empty, "series")).to.have.length(0);
      expect(tickLabels(empty, "x-axis").length).to.be.at.least(2);
    });

    it("escapes text for XML", function () {
      const nasty = `a & b <script>alert("x")</script> 'q'`;
      const chart: Chart = {
        title: nasty,
        xLabel: `x < y > z`,
        series: [{ name: `<b>&amp;</b>`, unit: `"u"`, color: `red" onload="x`, axis: "left", points: shareRate() }],
        markers: [{ x: 3, label: `A&B <i>` }],
      };
      const doc = renderChartSvg(chart);
      expect(doc).to.not.include("<script>");
      expect(doc).to.not.include("<b>");
      expect(doc).to.not.include("<i>");
      expect(doc).to.not.include('red" onload');
      const svg = parseXml(doc); // throws on a bare & or <
      expect(allText(byClass(svg, "title")[0])).to.equal(nasty);
      expect(findAll(svg, (e) => e.name === "title")[0].text).to.equal(nasty);
      expect(allText(byClass(svg, "x-axis")[0])).to.include("x < y > z");
      expect(texts(byClass(svg, "legend")[0])).to.deep.equal([`<b>&amp;</b> ("u")`]);
      expect(allText(byClass(svg, "marker-label")[0])).to.equal("A&B <i>");
      expect(byClass(svg, "series")[0].attrs.stroke).to.equal(`red" onload="x`);
      // Characters XML 1.0 cannot carry are dropped rather than breaking the document.
      expect(renderChartSvg(demoChart({ title: "bell\u0007" }))).to.include(">bell</text>");
    });

    it("draws each marker as a dashed vertical line at its x, with its label", function () {
      const svg = parseXml(renderChartSvg(demoChart()));
      const area = plotArea(svg);
      const lines = byClass(svg, "marker");
      expect(lines).to.have.length(2);
      for (const l of lines) {
        expect(l.name).to.equal("line");
        expect(l.attrs["stroke-dasharray"]).to.be.a("string").and.not.equal("");
        expect(l.attrs.x1).to.equal(l.attrs.x2);
      }
      // The x axis runs 0..30 here, so days 12 and 20 sit at 12/30 and 20/30 of the width.
      const width = area.right - area.left;
      expect(Number(lines[0].attrs.x1)).to.be.closeTo(area.left + (12 / 30) * width, 0.01);
      expect(Number(lines[1].attrs.x1)).to.be.closeTo(area.left + (20 / 30) * width, 0.01);
      expect(byClass(svg, "marker-label").map(allText)).to.deep.equal(["slashing", "bunker ends"]);
      // The slashing marker lines up with the day-12 point of the share rate.
      const rate = points(byClass(svg, "series")[0]);
      expect(rate[12].x).to.be.closeTo(Number(lines[0].attrs.x1), 0.01);
      // No markers: an empty group.
      expect(byClass(parseXml(renderChartSvg(demoChart({ markers: undefined }))), "marker")).to.have.length(0);
    });

    it("is pure: the input is not modified and the output is the same every time", function () {
      const chart = demoChart();
      const copy: Chart = JSON.parse(JSON.stringify(chart));
      const first = renderChartSvg(chart);
      expect(chart).to.deep.equal(copy);
      expect(renderChartSvg(chart)).to.equal(first);
    });

    it("rejects non-finite coordinates, unknown axes and sizes too small for a plot", function () {
      const bad = (points: Series["points"]): Chart =>
        demoChart({ series: [{ name: "s", unit: "", color: "red", axis: "left", points }] });
      expect(() => renderChartSvg(bad([{ x: 0, y: NaN }]))).to.throw(RangeError, /non-finite/);
      expect(() => renderChartSvg(bad([{ x: Infinity, y: 1 }]))).to.throw(RangeError, /non-finite/);
      expect(() => renderChartSvg(demoChart({ markers: [{ x: NaN, label: "m" }] }))).to.throw(RangeError);
      const wrongAxis = { name: "s", unit: "", color: "red", axis: "middle", points: [] } as unknown as Series;
      expect(() => renderChartSvg(demoChart({ series: [wrongAxis] }))).to.throw(RangeError, /axis/);
      expect(() => renderChartSvg(demoChart({ width: 0 }))).to.throw(RangeError);
      expect(() => renderChartSvg(demoChart({ width: 50, height: 40 }))).to.throw(RangeError, /too small/);
    });
  });
});
