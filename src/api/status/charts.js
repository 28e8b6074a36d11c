/*
 * The status page's charts, drawn with uPlot (loaded before this module as a classic script).
 * Each chart's element carries, for tests and tools: data-points (how many x values it draws),
 * data-stroke (its main series' colour) and data-plot (the plotting area in canvas pixels).
 */
/* global uPlot */
import { compact, money, utcSeconds } from './format.js';

/** Series are told apart by dash and legend label too, never by colour alone. */
export const COLORS = {
  actual: '#1f4e9c',
  predicted: '#b35900',
  predictedBand: 'rgba(179, 89, 0, 0.16)',
  curve: '#1f4e9c',
  curveBand: 'rgba(31, 78, 156, 0.14)',
  bound: '#8c959f',
  point: '#111111',
};

const charts = new Map();
const operatingPoints = new Map();

const chartWidth = (container) => Math.max(280, Math.floor(container.clientWidth || 600));

function recordPlotBox(u) {
  const { left, top, width, height } = u.bbox;
  u.root.parentElement.dataset.plot = [left, top, width, height].map(Math.round).join(',');
}

/** The ring at a response curve's current operating point, with a dashed line down to the axis. */
function drawOperatingPoint(u, op) {
  if (!op) return;
  const x = u.valToPos(op.spend, 'x', true);
  const y = u.valToPos(op.response, 'y', true);
  const px = uPlot.pxRatio;
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = COLORS.point;
  ctx.lineWidth = px;
  ctx.setLineDash([4 * px, 3 * px]);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.lineWidth = 2.5 * px;
  ctx.fillStyle = '#ffffff';
  ctx.beginPath();
  ctx.arc(x, y, 6 * px, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
  ctx.restore();
}

const ticks = (_u, values) => values.map(compact);

/** Time ticks in UTC, 24-hour: the date under the first tick and under each midnight. */
const timeTicks = (_u, values) =>
  values.map((t, i) => {
    const iso = new Date(t * 1000).toISOString();
    const time = iso.slice(11, 16);
    return i === 0 || time === '00:00' ? `${time}\n${iso.slice(0, 10)}` : time;
  });

/** Actual revenue per bucket against the forecast made before it, with the 90% band. */
export function historyOptions(width, currency) {
  const value = (_u, v) => money(v, currency);
  return {
    width,
    height: 280,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true } },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: 'Bucket start (UTC)', value: (_u, v) => utcSeconds(v) },
      { label: 'Actual revenue', stroke: COLORS.actual, width: 2, points: { show: true, size: 5 }, value },
      { label: 'Predicted (mean)', stroke: COLORS.predicted, width: 2, dash: [7, 4], value },
      { label: '90% interval, low', stroke: COLORS.bound, width: 1, dash: [2, 3], points: { show: false }, value },
      { label: '90% interval, high', stroke: COLORS.bound, width: 1, dash: [2, 3], points: { show: false }, value },
    ],
    bands: [{ series: [4, 3], fill: COLORS.predictedBand }],
    axes: [{ values: timeTicks }, { label: `Revenue per bucket (${currency})`, size: 70, values: ticks }],
    hooks: { draw: [recordPlotBox] },
  };
}

/** A channel's response curve with its band; `key` names the operating point to ring. */
export function curveOptions(width, currency, key) {
  const value = (_u, v) => money(v, currency);
  return {
    width,
    height: 230,
    scales: { x: { time: false } },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: 'Spend', value },
      { label: 'Expected revenue', stroke: COLORS.curve, width: 2, points: { show: false }, value },
      { label: '90% low', stroke: COLORS.bound, width: 1, dash: [2, 3], points: { show: false }, value },
      { label: '90% high', stroke: COLORS.bound, width: 1, dash: [2, 3], points: { show: false }, value },
    ],
    bands: [{ series: [3, 2], fill: COLORS.curveBand }],
    axes: [
      { label: `Spend per bucket (${currency})`, values: ticks },
      { label: `Revenue (${currency})`, size: 64, values: ticks },
    ],
    hooks: { draw: [(u) => drawOperatingPoint(u, operatingPoints.get(key)), recordPlotBox] },
  };
}

/** Where the ring of chart `key` goes on its next draw. */
export function setOperatingPoint(key, point) {
  operatingPoints.set(key, point);
}

/** Draws `data` in `container`: creates chart `key` the first time, updates it after. */
export function plot(key, container, options, data, stroke) {
  let u = charts.get(key);
  if (u && u.root.parentElement !== container) {
    u.destroy();
    u = undefined;
  }
  if (u) {
    u.setData(data);
  } else {
    u = new uPlot(options(chartWidth(container)), data, container);
    charts.set(key, u);
  }
  container.dataset.points = String(data[0].length);
  container.dataset.stroke = stroke;
}

/** Removes the charts whose key starts with `prefix` ('' for all). */
export function dropCharts(prefix) {
  for (const [key, u] of charts) {
    if (!key.startsWith(prefix)) continue;
    u.destroy();
    charts.delete(key);
    operatingPoints.delete(key);
  }
}

/** Fits every chart to its container's width again. */
export function resizeCharts() {
  for (const u of charts.values()) u.setSize({ width: chartWidth(u.root.parentElement), height: u.height });
}
