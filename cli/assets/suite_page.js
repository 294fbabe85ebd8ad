// rnnlab suite: the leaderboard page's learning curves with seed bands (uPlot).
// Embedded into the rnnlab binary at build time (cli/CMakeLists.txt, cmake/RnnlabEmbed.cmake).
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('rnnlab-data').textContent);
  var palette = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  function fmt(v) {
    if (v == null || !isFinite(v)) return '-';
    var a = Math.abs(v);
    return (a !== 0 && (a >= 1e5 || a < 1e-3)) ? v.toExponential(4) : String(+v.toPrecision(6));
  }
  function tick(u, splits) {
    return splits.map(function (v) { return v == null ? '' : String(+v.toPrecision(4)); });
  }
  function drawBands(u, bands) {
    var ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    bands.forEach(function (b) {
      if (!u.series[b.series].show || b.x.length === 0) return;
      ctx.beginPath();
      for (var i = 0; i < b.x.length; i++) {
        var px = u.valToPos(b.x[i], 'x', true), py = u.valToPos(b.mean[i] + b.std[i], 'y', true);
        if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      for (var k = b.x.length - 1; k >= 0; k--)
        ctx.lineTo(u.valToPos(b.x[k], 'x', true), u.valToPos(b.mean[k] - b.std[k], 'y', true));
      ctx.closePath();
      ctx.globalAlpha = 0.18;
      ctx.fillStyle = b.color;
      ctx.fill();
    });
    ctx.restore();
  }
  var drawn = 0;
  try {
    D.tasks.forEach(function (t, ti) {
      var el = document.getElementById('plot-' + ti);
      if (t.curves.length === 0) { el.textContent = 'no finished run with evaluations'; return; }
      var tables = [], series = [{ label: 'step', value: function (u, v) { return fmt(v); } }], bands = [];
      t.curves.forEach(function (c) {
        var color = palette[c.cell % palette.length];
        tables.push([c.step, c.mean]);
        series.push({ label: D.cells[c.cell] + (c.runs > 1 ? ' (mean of ' + c.runs + ')' : ''),
                      stroke: color, width: 2, spanGaps: true, points: { show: true },
                      value: function (u, v) { return fmt(v); } });
        if (c.runs > 1) bands.push({ series: series.length - 1, x: c.step, mean: c.mean, std: c.std, color: color });
      });
      new uPlot({
        title: t.task + ': eval ' + t.metric,
        width: 520, height: 300,
        scales: { x: { time: false } },
        axes: [{ label: 'step', values: tick }, { label: t.metric, size: 60, values: tick }],
        series: series,
        hooks: { drawAxes: [function (u) { drawBands(u, bands); }] }
      }, uPlot.join(tables), el);
      drawn++;
    });
    document.body.setAttribute('data-charts', String(drawn));
    document.body.setAttribute('data-rendered', 'ok');
  } catch (e) {
    document.getElementById('plot-error').textContent = 'The curves could not be drawn: ' + e;
    document.body.setAttribute('data-rendered', 'error: ' + e);
  }
})();
