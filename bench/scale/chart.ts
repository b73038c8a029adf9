/** bench:scale's chart: messages/s by number of worker processes, one line per setup (an SVG string). */
import type { EchoRow } from "./run.js";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];

/** Renders the echo rows as line charts (x: workers, y: messages/s): WebSocket, polling, polling-close. */
export function renderChart(rows: EchoRow[]): string {
  const W = 360;
  const H = 240;
  const pad = { l: 56, r: 10, t: 28, b: 36 };
  const panels = (["websocket", "polling", "polling-close"] as const).map((transport, k) => {
    const mine = rows.filter((r) => r.transport === transport);
    const setups = [...new Set(mine.map((r) => `${r.engine}/${r.front}`))];
    const xs = [...new Set(mine.map((r) => r.workers))].sort((a, b) => a - b);
    const ymax = Math.max(1, ...mine.map((r) => r.messagesPerSecond)) * 1.1;
    const x = (w: number): number =>
      pad.l + (xs.indexOf(w) / Math.max(1, xs.length - 1)) * (W - pad.l - pad.r);
    const y = (v: number): number => H - pad.b - (v / ymax) * (H - pad.t - pad.b);
    const lines = setups.map((s, i) => {
      const pts = mine.filter((r) => `${r.engine}/${r.front}` === s).sort((a, b) => a.workers - b.workers);
      const d = pts.map((r) => `${x(r.workers).toFixed(1)},${y(r.messagesPerSecond).toFixed(1)}`).join(" ");
      const name = s.replace("ours/", "engineio-wasm, ").replace("engineio/", "npm engine.io, ");
      return (
        `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${d}"/>` +
        `<text x="${pad.l + 8}" y="${pad.t + 14 + i * 14}" font-size="11" fill="${COLORS[i % COLORS.length]}">${name}</text>`
      );
    });
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
      const v = Math.round((ymax * f) / 100) * 100;
      return `<text x="${pad.l - 4}" y="${y(v) + 4}" font-size="10" text-anchor="end">${v}</text><line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`;
    });
    const xt = xs.map(
      (w) => `<text x="${x(w)}" y="${H - pad.b + 14}" font-size="10" text-anchor="middle">${w}</text>`,
    );
    return `<g transform="translate(${k * W},0)"><text x="${W / 2}" y="16" font-size="13" text-anchor="middle">${transport} echo, messages/s</text>${ticks.join("")}${xt.join("")}<text x="${W / 2}" y="${H - 6}" font-size="11" text-anchor="middle">worker processes</text>${lines.join("")}</g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${3 * W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${panels.join("")}</svg>\n`;
}
