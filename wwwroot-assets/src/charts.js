// Charts for server-rendered pages, driven by markup only (no inline script):
//
//   <div class="chart-box" data-chart-src="/admin/charts/requests" data-chart-refresh="10"></div>
//
// data-chart-src      same-origin URL returning
//                     {"type":"line"|"area"|"bar","title":"…","unit":"…",
//                      "categories":["…" | ISO date, …],"series":[{"name":"…","data":[1,2,…]}]}
// data-chart-refresh  optional, seconds: refetch and update the series in place.
//
// Charts are (re)rendered on DOMContentLoaded and after every htmx 4 swap (htmx:after:swap,
// plus htmx:after:settle which also fires for out-of-band and SSE swaps). A chart whose element
// left the page is destroyed and its timer stopped; an element whose data-chart-src changed is
// rendered again. Elements get data-chart-state="loading|ready|empty|error" for tests and CSS.

import ApexCharts from 'apexcharts/core';
import 'apexcharts/line';
import 'apexcharts/area';
import 'apexcharts/bar';
import 'apexcharts/features/legend';
import 'apexcharts/features/keyboard';

const SELECTOR = '[data-chart-src]';
const TYPES = new Set(['line', 'area', 'bar']);
const MIN_REFRESH_SECONDS = 2;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** @type {Map<Element, {src: string, chart: any, type: string|null, timer: number|null, abort: AbortController|null, generation: number}>} */
const charts = new Map();

export function initCharts() {
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => scan(), { once: true });
  } else {
    scan();
  }
  // htmx 4 event names (htmx 2's htmx:afterSwap / htmx:afterSettle no longer exist).
  document.addEventListener('htmx:after:swap', scheduleScan);
  document.addEventListener('htmx:after:settle', scheduleScan);
  window.PoppyCharts = { scan, charts };
}

let scanQueued = false;
function scheduleScan() {
  if (scanQueued) return;
  scanQueued = true;
  queueMicrotask(() => {
    scanQueued = false;
    scan();
  });
}

/** Renders new or changed chart elements and tears down charts whose element is gone. */
export function scan() {
  for (const [el, state] of charts) {
    if (!el.isConnected) teardown(el, state);
  }
  for (const el of document.querySelectorAll(SELECTOR)) {
    const src = el.getAttribute('data-chart-src');
    const state = charts.get(el);
    if (state && state.src === src) continue;
    if (state) teardown(el, state);
    if (src) start(el, src);
  }
}

function start(el, src) {
  const state = { src, chart: null, type: null, timer: null, abort: null, generation: 0 };
  charts.set(el, state);
  setState(el, 'loading');
  load(el, state, true);

  const seconds = Number.parseFloat(el.getAttribute('data-chart-refresh') ?? '');
  if (Number.isFinite(seconds) && seconds > 0) {
    state.timer = window.setInterval(() => {
      if (!el.isConnected) return teardown(el, state);
      if (document.hidden || state.abort) return; // skip while hidden or while a fetch is running
      load(el, state, false);
    }, Math.max(seconds, MIN_REFRESH_SECONDS) * 1000);
  }
}

function teardown(el, state) {
  if (state.timer !== null) window.clearInterval(state.timer);
  state.abort?.abort();
  destroyChart(state);
  state.generation++;
  charts.delete(el);
}

function destroyChart(state) {
  if (state.chart) {
    try { state.chart.destroy(); } catch { /* element may already be detached */ }
  }
  state.chart = null;
  state.type = null;
}

async function load(el, state, first) {
  const generation = ++state.generation;
  const abort = new AbortController();
  state.abort = abort;
  let data;
  try {
    const response = await fetch(state.src, {
      method: 'GET',
      mode: 'same-origin',        // never send the session cookie anywhere else
      credentials: 'include',     // the endpoint sits behind the login cookie
      cache: 'no-store',
      headers: { Accept: 'application/json' },
      signal: abort.signal,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    data = await response.json();
  } catch (error) {
    if (abort.signal.aborted || generation !== state.generation) return;
    state.abort = null;
    console.warn(`charts: ${state.src}:`, error);
    if (first || !state.chart) {
      destroyChart(state);
      showMessage(el, 'Could not load chart data.', 'text-danger');
      setState(el, 'error');
    } else {
      setState(el, 'stale'); // keep the last good chart on screen during a refresh failure
    }
    return;
  }
  if (generation !== state.generation || !el.isConnected) return;
  state.abort = null;
  render(el, state, normalize(data));
}

function normalize(data) {
  const type = TYPES.has(data?.type) ? data.type : 'line';
  const categories = Array.isArray(data?.categories) ? data.categories.map(String) : [];
  const series = (Array.isArray(data?.series) ? data.series : [])
    .map((s, i) => ({
      name: typeof s?.name === 'string' ? s.name : `Series ${i + 1}`,
      data: (Array.isArray(s?.data) ? s.data : []).map((v) => (v === null || v === undefined || v === '' ? null : Number(v))),
    }));
  const empty = series.length === 0 || series.every((s) => s.data.length === 0);
  const datetime = categories.length > 0 && categories.every((c) => ISO_DATE.test(c));
  return {
    type,
    title: typeof data?.title === 'string' ? data.title : '',
    unit: typeof data?.unit === 'string' ? data.unit : '',
    categories: datetime ? categories.map((c) => Date.parse(c)) : categories,
    datetime,
    series,
    empty,
  };
}

function render(el, state, d) {
  if (d.title) el.setAttribute('aria-label', d.title);
  if (d.empty) {
    destroyChart(state);
    showMessage(el, 'No data yet', 'text-secondary');
    setState(el, 'empty');
    return;
  }

  if (state.chart && state.type === d.type) {
    // Refresh: update in place (animated), no re-creation.
    state.chart.updateOptions({ xaxis: xaxis(d), markers: markers(d) }, false, false, false);
    state.chart.updateSeries(d.series, true);
    setState(el, 'ready');
    return;
  }

  destroyChart(state);
  const holder = document.createElement('div');
  holder.className = 'chart-canvas';
  el.replaceChildren(holder);
  const chart = new ApexCharts(holder, options(el, d));
  state.chart = chart;
  state.type = d.type;
  chart.render().then(
    () => { if (state.chart === chart) setState(el, 'ready'); },
    (error) => {
      console.error('charts: render failed', error);
      if (state.chart !== chart) return;
      destroyChart(state);
      showMessage(el, 'Could not draw chart.', 'text-danger');
      setState(el, 'error');
    },
  );
}

function options(el, d) {
  const dark = document.documentElement.getAttribute('data-bs-theme') === 'dark'
    || document.body.getAttribute('data-bs-theme') === 'dark';
  const format = (v) => formatValue(v, d.unit);
  const height = Math.max(el.clientHeight || 0, 280);
  return {
    chart: {
      type: d.type,
      height,
      fontFamily: 'inherit',
      background: 'transparent',
      parentHeightOffset: 0,
      toolbar: { show: false },
      zoom: { enabled: false },
      animations: { enabled: true },
      // The stylesheet comes from app.css (apexcharts.css is bundled there), so ApexCharts
      // does not need to inject a <style> element: friendlier to a strict style-src.
      injectStyleSheet: false,
    },
    theme: { mode: dark ? 'dark' : 'light' },
    // The card around the chart carries the visible heading; the title names the chart for screen readers.
    title: { text: undefined },
    series: d.series,
    markers: markers(d),
    xaxis: xaxis(d),
    yaxis: { labels: { formatter: format } },
    tooltip: { x: { format: 'yyyy-MM-dd HH:mm' }, y: { formatter: format } },
    dataLabels: { enabled: false },
    stroke: { curve: 'smooth', width: d.type === 'bar' ? 0 : 2 },
    fill: d.type === 'area' ? { type: 'gradient', gradient: { opacityFrom: 0.4, opacityTo: 0.05 } } : {},
    legend: { show: d.series.length > 1 },
    grid: { strokeDashArray: 4 },
    noData: { text: 'No data yet' },
  };
}

function xaxis(d) {
  if (!d.datetime) return { type: 'category', categories: d.categories };
  const axis = { type: 'datetime', categories: d.categories, labels: { datetimeUTC: false } };
  if (d.categories.length === 1) {
    // One point would stretch the time axis over days; show a quarter hour either side instead.
    const t = d.categories[0]; // epoch milliseconds (see normalize)
    Object.assign(axis, { min: t - 15 * 60_000, max: t + 15 * 60_000 });
  }
  return axis;
}

// A line needs two points; with fewer, show the point itself.
function markers(d) {
  return { size: d.categories.length < 2 ? 5 : 0 };
}

function formatValue(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  const n = Number.isInteger(v) ? v.toLocaleString() : Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 });
  return unit ? `${n} ${unit}` : n;
}

function showMessage(el, text, cls) {
  const p = document.createElement('div');
  p.className = `chart-message small ${cls}`;
  p.textContent = text;
  el.replaceChildren(p);
}

function setState(el, s) {
  el.setAttribute('data-chart-state', s);
}
