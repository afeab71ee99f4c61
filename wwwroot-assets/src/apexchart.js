// ES module behind the Blazor <ApexChart> component (Components/Charts/ApexChart.razor), built by ../build.mjs into
// wwwroot/dist/apexchart.js and imported once per component through IJSObjectReference:
//
//   render(element, config) -> handle (a number)              draws a chart into element
//   update(handle, series, config?)                           replaces the series (and axis/annotation options) in place
//   setTheme(handle, mode, colors)                            light/dark and the palette, in place
//   dispose(handle)                                           destroys the chart, removes its listeners
//   download(fileName, text, type?)                           saves text as a file (CSV export of a chart)
//
// config: { type: 'line'|'area'|'bar', height, xType: 'datetime'|'category', unit, yTitle, label,
//           markers: [{ x (epoch ms), label }], mode: 'light'|'dark', colors: ['#rrggbb', ...] }
// series: [{ name, data: [{ x, y }] }]   x: epoch milliseconds (datetime) or a category name
//
// No inline script, no eval (ApexCharts 7 needs neither), and ApexCharts' stylesheet comes from app.css
// (injectStyleSheet: false), so the page runs under `script-src 'self'`.

import ApexCharts from 'apexcharts/core';
import 'apexcharts/line';
import 'apexcharts/area';
import 'apexcharts/bar';
import 'apexcharts/features/legend';
import 'apexcharts/features/annotations';
import 'apexcharts/features/keyboard';

const TYPES = new Set(['line', 'area', 'bar']);

/** @type {Map<number, {chart: any, config: any, element: Element, optionsKey: string}>} */
const charts = new Map();
let nextHandle = 1;

export function render(element, config) {
  const c = { ...normalize(config), element };
  const holder = document.createElement('div');
  holder.className = 'apexchart-canvas';
  element.replaceChildren(holder);
  const chart = new ApexCharts(holder, options(c));
  const handle = nextHandle++;
  charts.set(handle, { chart, config: c, element, optionsKey: JSON.stringify(axisOptions(c, c.initialSeries)) });
  element.setAttribute('data-chart-state', 'loading');
  chart.render().then(
    () => { if (charts.get(handle)?.chart === chart) element.setAttribute('data-chart-state', 'ready'); },
    (error) => {
      console.error('apexchart: render failed', error);
      element.setAttribute('data-chart-state', 'error');
    },
  );
  return handle;
}

/** Replaces the series in place (animated), with the axis options that follow from them; the chart is not re-created. */
export async function update(handle, series, config) {
  const state = charts.get(handle);
  if (!state) return;
  if (config) state.config = { ...normalize(config), element: state.element };
  const c = state.config;
  // Options that follow from the data (axis range, point markers) or the config; applied only when they changed,
  // so a refresh with the same shape only animates the series.
  const next = axisOptions(c, series);
  const key = JSON.stringify(next);
  if (key !== state.optionsKey) {
    await state.chart.updateOptions(next, false, false, false);
    state.optionsKey = key;
  }
  await state.chart.updateSeries(clean(series), true);
  state.element.setAttribute('data-chart-state', 'ready');
}

export async function setTheme(handle, mode, colors) {
  const state = charts.get(handle);
  if (!state) return;
  state.config = { ...state.config, mode: mode === 'dark' ? 'dark' : 'light', colors: colors ?? state.config.colors };
  await state.chart.updateOptions({ theme: { mode: state.config.mode }, colors: state.config.colors }, false, false, false);
}

export function dispose(handle) {
  const state = charts.get(handle);
  if (!state) return;
  charts.delete(handle);
  try { state.chart.destroy(); } catch { /* element already detached */ }
}

function normalize(config) {
  const c = config ?? {};
  return {
    type: TYPES.has(c.type) ? c.type : 'line',
    height: Number.isFinite(c.height) && c.height > 0 ? c.height : 300,
    xType: c.xType === 'category' ? 'category' : 'datetime',
    unit: typeof c.unit === 'string' ? c.unit : '',
    yTitle: typeof c.yTitle === 'string' ? c.yTitle : '',
    markers: Array.isArray(c.markers) ? c.markers : [],
    mode: c.mode === 'dark' ? 'dark' : 'light',
    colors: Array.isArray(c.colors) && c.colors.length > 0 ? c.colors : undefined,
    initialSeries: Array.isArray(c.series) ? c.series : [],
  };
}

function clean(series) {
  return (Array.isArray(series) ? series : []).map((s, i) => ({
    name: typeof s?.name === 'string' ? s.name : `Series ${i + 1}`,
    data: (Array.isArray(s?.data) ? s.data : []).map((p) => ({ x: p?.x, y: p?.y === null || p?.y === undefined ? null : Number(p.y) })),
  }));
}

function options(c) {
  const series = clean(c.initialSeries);
  return {
    chart: {
      type: c.type,
      height: c.height,
      fontFamily: 'inherit',
      background: 'transparent',
      parentHeightOffset: 0,
      toolbar: { show: false },
      zoom: { enabled: false },
      animations: { enabled: true },
      injectStyleSheet: false,
      // For screenshots and browser tests: the draw-in animation is over.
      events: { animationEnd: () => c.element?.setAttribute('data-chart-animation', 'ended') },
    },
    theme: { mode: c.mode },
    colors: c.colors,
    series,
    markers: markers(series),
    xaxis: xaxis(c, series),
    yaxis: yaxis(c),
    annotations: annotations(c),
    tooltip: { x: { format: 'yyyy-MM-dd HH:mm' }, y: { formatter: (v) => formatValue(v, c.unit) } },
    dataLabels: { enabled: false },
    stroke: { curve: 'smooth', width: c.type === 'bar' ? 0 : 2 },
    fill: c.type === 'area' ? { type: 'gradient', gradient: { opacityFrom: 0.4, opacityTo: 0.05 } } : {},
    legend: { show: true, showForSingleSeries: false },
    grid: { strokeDashArray: 4 },
    noData: { text: 'No data yet' },
  };
}

function axisOptions(c, series) {
  return { xaxis: xaxis(c, series), markers: markers(series), annotations: annotations(c), yaxis: yaxis(c), chart: { height: c.height } };
}

function yaxis(c) {
  return {
    title: { text: c.yTitle || undefined },
    labels: { formatter: (v) => formatValue(v, c.unit) },
    min: 0,
  };
}

function xaxis(c, series) {
  if (c.xType === 'category') return { type: 'category' };
  const axis = { type: 'datetime', labels: { datetimeUTC: false } };
  const times = (series ?? []).flatMap((s) => (s?.data ?? []).map((p) => Number(p?.x))).filter(Number.isFinite);
  if (times.length > 0 && Math.min(...times) === Math.max(...times)) {
    // One point in time would stretch the axis over days; show a quarter hour either side instead.
    Object.assign(axis, { min: times[0] - 15 * 60_000, max: times[0] + 15 * 60_000 });
  } else {
    Object.assign(axis, { min: undefined, max: undefined });
  }
  return axis;
}

// A line needs two points; with fewer, show the point itself.
function markers(series) {
  const most = Math.max(0, ...(series ?? []).map((s) => (s?.data ?? []).length));
  return { size: most < 2 ? 5 : 0 };
}

// Vertical lines on the time axis, e.g. the moments of DNS switches.
function annotations(c) {
  return {
    xaxis: c.markers
      .filter((m) => Number.isFinite(Number(m?.x)))
      .map((m) => ({
        x: Number(m.x),
        strokeDashArray: 4,
        borderColor: '#775dd0',
        label: { text: m.label ? String(m.label) : undefined, orientation: 'horizontal', style: { color: '#fff', background: '#775dd0' } },
      })),
  };
}

function formatValue(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  const n = Number.isInteger(v) ? v.toLocaleString() : Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 });
  return unit ? `${n} ${unit}` : n;
}

/** Saves text as a file (e.g. the CSV of what a chart shows) without a round trip to the server. */
export function download(fileName, text, type) {
  const blob = new Blob([text], { type: type || 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
