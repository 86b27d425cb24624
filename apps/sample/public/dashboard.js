// The dashboard: polls /api/stats every half second, turns the cumulative per-node counters
// into rates, and redraws. No framework: a few DOM and SVG helpers.
const POLL_MS = 500;
const HISTORY = 120; // samples in the chart: one minute
const COLORS = ['#4f8cff', '#ff7a59', '#2fbf71', '#b36bff', '#f2c94c', '#00b8d9', '#ff5fa2', '#9ccc65'];
const SVG = 'http://www.w3.org/2000/svg';

const colorOf = new Map();
const history = []; // [{ at, rates: Map<node, ops/s> }]
let previous;
let trafficRunning = false;

const $ = (id) => document.getElementById(id);

function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (name === 'text') node.textContent = value;
    else if (name === 'style') Object.assign(node.style, value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function color(node) {
  if (!colorOf.has(node)) colorOf.set(node, COLORS[colorOf.size % COLORS.length]);
  return colorOf.get(node);
}

const percent = (value) => `${(value * 100).toFixed(1)} %`;
const clock = (at) => new Date(at).toLocaleTimeString([], { hour12: false });
const integer = (value) => Math.round(value).toLocaleString('en');

async function getJson(path, init) {
  const response = await fetch(path, init);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

// ── ring ──────────────────────────────────────────────────────────────────────

function point(center, radius, fraction) {
  const angle = fraction * 2 * Math.PI - Math.PI / 2; // clockwise from the top
  return [center + radius * Math.cos(angle), center + radius * Math.sin(angle)];
}

function arcPath(center, radius, start, end) {
  const [x1, y1] = point(center, radius, start);
  const [x2, y2] = point(center, radius, Math.min(end, start + 0.99999));
  const large = end - start > 0.5 ? 1 : 0;
  return `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${radius} ${radius} 0 ${large} 1 ${x2.toFixed(2)} ${y2.toFixed(2)}`;
}

function drawRing(ring) {
  const canvas = $('ring');
  canvas.replaceChildren();
  const center = 160;
  const radius = 118;
  canvas.append(
    svg('circle', { cx: center, cy: center, r: radius, fill: 'none', stroke: '#263149', 'stroke-width': 34 }),
  );
  for (const arc of ring.arcs) {
    const path = svg('path', {
      d: arcPath(center, radius, arc.start, arc.end),
      fill: 'none',
      stroke: color(arc.node),
      'stroke-width': 30,
      'data-node': arc.node,
    });
    canvas.append(path);
  }
  const title = svg('text', {
    x: center,
    y: center - 6,
    'text-anchor': 'middle',
    fill: '#e6ebf5',
    'font-size': 18,
  });
  title.textContent = `${ring.nodes.length} nodes`;
  const subtitle = svg('text', {
    x: center,
    y: center + 16,
    'text-anchor': 'middle',
    fill: '#8d99b3',
    'font-size': 12,
  });
  subtitle.textContent = ring.partitioner;
  canvas.append(title, subtitle);
  $('ring-method').textContent = `· ${ring.arcs.length} arcs, ${ring.method}`;
  $('ring-legend').replaceChildren(
    ...ring.nodes.map((node) =>
      element('li', { 'data-node': node.id }, [
        element('span', { class: 'swatch', style: { background: color(node.id) } }),
        element('span', { text: node.address }),
        element('span', { class: `status-${node.status}`, text: node.status === 'up' ? '' : node.status }),
        element('span', { class: 'share', text: `${percent(node.share)} of keys` }),
        element('span', { class: 'traffic-share', 'data-traffic-share': node.id, text: '' }),
      ]),
    ),
  );
}

async function refreshRing() {
  try {
    drawRing(await getJson('/api/ring'));
  } catch (error) {
    $('ring-method').textContent = String(error);
  }
}

// ── traffic ───────────────────────────────────────────────────────────────────

function ratesOf(stats) {
  const rates = new Map();
  if (previous === undefined) return rates;
  const seconds = (stats.at - previous.at) / 1000 || 1;
  const before = new Map(previous.nodes.map((node) => [node.id, node.ops]));
  for (const node of stats.nodes)
    rates.set(node.id, Math.max(0, (node.ops - (before.get(node.id) ?? node.ops)) / seconds));
  return rates;
}

function drawBars(stats, rates) {
  const values = stats.nodes.map((node) => rates.get(node.id) ?? 0);
  const max = Math.max(1, ...values);
  const mean = values.reduce((sum, value) => sum + value, 0) / (values.length || 1);
  $('traffic-bars').replaceChildren(
    ...stats.nodes.map((node) => {
      const rate = rates.get(node.id) ?? 0;
      const hot = mean > 20 && rate > mean * 1.35;
      return element(
        'div',
        { class: `bar-row${hot ? ' hot' : ''}`, 'data-node': node.id, 'data-rate': rate.toFixed(1) },
        [
          element('span', { class: 'name', text: node.id }),
          element('div', { class: 'bar-track' }, [
            element('div', {
              class: 'bar',
              style: { width: `${(rate / max) * 100}%`, background: color(node.id) },
            }),
          ]),
          element('span', { class: 'rate', text: `${integer(rate)} /s` }),
        ],
      );
    }),
  );
  const total = values.reduce((sum, value) => sum + value, 0);
  for (const cell of document.querySelectorAll('[data-traffic-share]')) {
    const rate = rates.get(cell.getAttribute('data-traffic-share'));
    cell.textContent = total > 0 && rate !== undefined ? `${percent(rate / total)} of traffic` : '';
  }
  const imbalance = $('kpi-imbalance');
  imbalance.textContent = mean > 0 ? `${(Math.max(...values) / mean).toFixed(2)}×` : '–';
  imbalance.classList.toggle('hot', mean > 20 && Math.max(...values) > mean * 1.35);
}

function drawChart(nodes) {
  const chart = $('traffic-chart');
  chart.replaceChildren();
  const width = 600;
  const height = 240;
  const max = Math.max(10, ...history.flatMap((sample) => [...sample.rates.values()]));
  for (let line = 1; line < 4; line++) {
    chart.append(
      svg('line', { x1: 0, x2: width, y1: (height * line) / 4, y2: (height * line) / 4, stroke: '#1c2438' }),
    );
  }
  // Newest sample at the right edge: the chart scrolls left as samples arrive.
  const offset = HISTORY - history.length;
  for (const node of nodes) {
    const points = history.map((sample, index) => {
      const x = ((offset + index) / (HISTORY - 1)) * width;
      const y = height - ((sample.rates.get(node.id) ?? 0) / max) * (height - 10);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    if (points.length > 1) {
      chart.append(
        svg('polyline', {
          points: points.join(' '),
          fill: 'none',
          stroke: color(node.id),
          'stroke-width': 2,
        }),
      );
    }
  }
  const label = svg('text', { x: 6, y: 14, fill: '#8d99b3', 'font-size': 11 });
  label.textContent = `${integer(max)} /s · last minute`;
  chart.append(label);
}

// ── hot keys, events, totals ──────────────────────────────────────────────────

function drawHotKeys(hotKeys) {
  const body = $('hot-keys');
  if (hotKeys.length === 0) {
    body.replaceChildren(
      element('tr', { class: 'empty' }, [element('td', { colspan: 4, text: 'none yet' })]),
    );
    return;
  }
  body.replaceChildren(
    ...hotKeys.slice(0, 10).map((entry) =>
      element('tr', { 'data-key': entry.key }, [
        element('td', {}, [element('code', { text: entry.key })]),
        element('td', {}, [
          element('span', {
            class: 'swatch',
            style: { background: color(entry.node ?? '?'), display: 'inline-block' },
          }),
          ` ${entry.node ?? '?'}`,
        ]),
        element('td', { class: 'number', text: integer(entry.count) }),
        element('td', {}, [
          entry.mitigated
            ? element('span', { class: `policy policy-${entry.policy}`, text: entry.policy })
            : element('span', { class: 'policy policy-watch', text: 'watching' }),
        ]),
      ]),
    ),
  );
}

function drawEvents(events) {
  if (events.length === 0) return;
  $('events').replaceChildren(
    ...events
      .slice(0, 12)
      .map((event) =>
        element('li', { class: event.type }, [
          element('time', { text: clock(event.at) }),
          `${event.type === 'promote' ? '▲ hot' : '▼ cooled'}: `,
          element('code', { text: event.key }),
          event.type === 'promote'
            ? ` on ${event.node ?? '?'} → ${event.policy}`
            : ` (${event.policy} ended)`,
        ]),
      ),
  );
}

function drawTraffic(traffic) {
  trafficRunning = traffic.running;
  const button = $('traffic-toggle');
  button.textContent = traffic.running ? 'Stop traffic' : 'Start Zipf traffic';
  button.classList.toggle('running', traffic.running);
  const pill = $('traffic-state');
  pill.textContent = traffic.running
    ? `${integer(traffic.rate)} reads/s · ${integer(traffic.sent)} sent`
    : `traffic off · ${integer(traffic.sent)} sent`;
  pill.classList.toggle('on', traffic.running);
}

async function poll() {
  let stats;
  try {
    stats = await getJson('/api/stats');
  } catch (error) {
    $('backend').textContent = `cannot reach the sample: ${error.message}`;
    return;
  }
  $('backend').textContent = `${stats.backend} · ${stats.description}`;
  const rates = ratesOf(stats);
  previous = stats;
  if (rates.size > 0) {
    history.push({ at: stats.at, rates });
    if (history.length > HISTORY) history.shift();
  }
  drawBars(stats, rates);
  drawChart(stats.nodes);
  drawHotKeys(stats.hotKeys);
  drawEvents(stats.hotKeyEvents);
  drawTraffic(stats.traffic);
  $('kpi-hit-rate').textContent = stats.totals.hits + stats.totals.misses > 0 ? percent(stats.hitRate) : '–';
  $('kpi-rate').textContent = integer([...rates.values()].reduce((sum, rate) => sum + rate, 0));
  $('kpi-db').textContent = integer(stats.database.reads);
}

// ── controls ──────────────────────────────────────────────────────────────────

$('traffic-toggle').addEventListener('click', async () => {
  const path = trafficRunning ? '/api/traffic/stop' : '/api/traffic/start';
  try {
    drawTraffic(await getJson(path, { method: 'POST' }));
  } catch (error) {
    $('traffic-state').textContent = String(error);
  }
});

$('lookup').addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = $('lookup-id').value;
  const started = performance.now();
  const response = await fetch(`/api/products/${encodeURIComponent(id)}`);
  const total = performance.now() - started;
  const body = await response.json();
  const outcome = response.headers.get('x-cache') ?? '?';
  const line = element('li', {}, [
    element('time', { text: clock(Date.now()) }),
    element('span', { class: outcome, text: outcome }),
    ` product ${id}: ${response.headers.get('x-lookup-ms') ?? '?'} ms in the cache lookup, ${total.toFixed(0)} ms round trip`,
    response.ok ? '' : ` (${body.message})`,
  ]);
  $('lookups').prepend(line);
});

await refreshRing();
await poll();
setInterval(poll, POLL_MS);
setInterval(refreshRing, 5000);
