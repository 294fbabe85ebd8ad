// rnnlab report --html: the page's charts and table sorting (uPlot).
// Embedded into the rnnlab binary at build time (cli/CMakeLists.txt, cmake/RnnlabEmbed.cmake).
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('rnnlab-data').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  var plots = {};
  function fmt(v) {
    if (v == null || !isFinite(v)) return '-';
    var a = Math.abs(v);
    return (a !== 0 && (a >= 1e5 || a < 1e-3)) ? v.toExponential(4) : String(+v.toPrecision(6));
  }
  function tick(u, splits) {
    return splits.map(function (v) {
      if (v == null) return '';
      var a = Math.abs(v);
      return (a !== 0 && (a < 1e-3 || a >= 1e5)) ? v.toExponential(0) : String(+v.toPrecision(4));
    });
  }
  function option(id) { var e = document.getElementById(id); return e.type === 'checkbox' ? e.checked : e.value; }
  // Bands: mean - std .. mean + std of every shown group, drawn under the lines.
  function drawBands(u, bands, logy) {
    var ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    bands.forEach(function (b) {
      if (!u.series[b.series].show || b.x.length === 0) return;
      ctx.beginPath();
      for (var i = 0; i < b.x.length; i++) {
        var hi = b.mean[i] + b.std[i];
        var px = u.valToPos(b.x[i], 'x', true), py = u.valToPos(hi, 'y', true);
        if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      for (var k = b.x.length - 1; k >= 0; k--) {
        var lo = b.mean[k] - b.std[k];
        if (logy && lo <= 0) lo = b.mean[k] / 10;
        ctx.lineTo(u.valToPos(b.x[k], 'x', true), u.valToPos(lo, 'y', true));
      }
      ctx.closePath();
      ctx.globalAlpha = 0.18;
      ctx.fillStyle = b.color;
      ctx.fill();
    });
    ctx.restore();
  }
  function build(kind, title) {
    var el = document.getElementById('plot-' + kind);
    if (plots[kind]) plots[kind].destroy();
    el.textContent = '';
    var xk = option('xaxis'), logy = option('logy'), seeds = option('seeds');
    var tables = [], series = [{ label: xk === 'step' ? 'step' : 'wall time (s)', value: function (u, v) { return fmt(v); } }];
    var bands = [], meanSeries = [];
    D.groups.forEach(function (g, gi) {
      var c = g[kind];
      if (!c || c.step.length === 0) return;
      var color = palette[gi % palette.length];
      tables.push([xk === 'step' ? c.step : c.wall, c.mean]);
      series.push({ label: g.label + (g.runs.length > 1 ? ' (mean of ' + g.runs.length + ')' : ''),
                    stroke: color, width: 2, spanGaps: true, points: { show: kind === 'eval' },
                    value: function (u, v) { return fmt(v); } });
      meanSeries.push({ group: g, index: series.length - 1 });
      if (g.runs.length > 1)
        bands.push({ series: series.length - 1, x: xk === 'step' ? c.step : c.wall, mean: c.mean, std: c.std, color: color });
      if (!seeds) return;
      g.runs.forEach(function (ri) {
        var r = D.runs[ri], s = r[kind];
        if (s.step.length === 0) return;
        tables.push([xk === 'step' ? s.step : s.wall, s.value]);
        series.push({ label: g.label + ' seed ' + r.seed, stroke: color, width: 1, dash: [5, 4],
                      spanGaps: true, value: function (u, v) { return fmt(v); } });
      });
    });
    if (tables.length === 0) { el.textContent = 'no ' + title + ' data'; return; }
    var data = uPlot.join(tables);
    var opts = {
      title: title + (logy ? ' (log scale)' : ''),
      width: Math.max(600, Math.min(1200, document.body.clientWidth - 40)), height: 380,
      scales: { x: { time: false }, y: logy ? { distr: 3 } : {} },
      axes: [{ label: xk === 'step' ? 'step' : 'wall time (s)', values: tick },
             { label: title, size: 70, values: tick }],
      series: series,
      hooks: { drawAxes: [function (u) { drawBands(u, bands, logy); }] }
    };
    plots[kind] = new uPlot(opts, data, el);
    return meanSeries;
  }
  function check(kind, meanSeries) {
    var body = document.querySelector('#rnnlab-curve-check tbody');
    var u = plots[kind];
    (meanSeries || []).forEach(function (m) {
      var ys = u.data[m.index], last = null, points = 0;
      for (var i = 0; i < ys.length; i++) if (ys[i] != null) { last = ys[i]; points++; }
      var tr = document.createElement('tr');
      tr.setAttribute('data-plot', kind);
      tr.setAttribute('data-group', m.group.id);
      tr.setAttribute('data-points', String(points));
      tr.setAttribute('data-last', String(last));
      tr.innerHTML = '<td>' + kind + '</td><td>' + m.group.label + '</td><td>' + points + '</td><td>' + last + '</td>';
      body.appendChild(tr);
    });
  }
  function render(first) {
    var tm = build('train', 'training loss');
    var em = build('eval', D.eval_label);
    if (first) { check('train', tm); check('eval', em); }
    document.body.setAttribute('data-view', 'x=' + option('xaxis') + '&log=' + (option('logy') ? 1 : 0) +
                               '&seeds=' + (option('seeds') ? 1 : 0));
  }
  // Settings from the address: report.html#x=wall&log=1&seeds=1 (for links and tests).
  function fromHash() {
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var p = kv.split('=');
      if (p[0] === 'x' && (p[1] === 'step' || p[1] === 'wall')) document.getElementById('xaxis').value = p[1];
      if (p[0] === 'log') document.getElementById('logy').checked = p[1] === '1';
      if (p[0] === 'seeds') document.getElementById('seeds').checked = p[1] === '1';
    });
  }
  try {
    fromHash();
    render(true);
    ['xaxis', 'logy', 'seeds'].forEach(function (id) {
      document.getElementById(id).addEventListener('change', function () { render(false); });
    });
    document.body.setAttribute('data-rendered', 'ok');
  } catch (e) {
    document.getElementById('plot-error').textContent = 'The curves could not be drawn: ' + e;
    document.body.setAttribute('data-rendered', 'error: ' + e);
  }
})();
