/* The review's drop-off chart: for each question, the conversations asked it and those that stopped there, as
 * horizontal SVG bars on one scale (built here: no library, nothing from another origin), with the same figures
 * in a table beside it for screen readers and copying. */
(function (global) {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var el = global.LuohuCard.el;

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  /* Horizontal bars, one row per question: asked (light) and stopped there (dark) on one scale. */
  function draw(figure, body, rows) {
    figure.textContent = "";
    body.textContent = "";
    if (!rows.length) {
      figure.appendChild(el("p", "muted", "这段时间助手没有提过问题。"));
      return;
    }
    // 13px Chinese characters: the longest field label (20 characters) fits in labelW
    var width = 780, labelW = 280, numberW = 130, rowH = 30, top = 8;
    var height = top * 2 + rows.length * rowH;
    var most = Math.max.apply(null, rows.map(function (r) { return r.asked; })) || 1;
    var scale = (width - labelW - numberW) / most;
    var chart = svg("svg", {viewBox: "0 0 " + width + " " + height, width: "100%", role: "img",
                            "aria-labelledby": "dropoff-svg-title dropoff-svg-desc", "class": "dropoff-chart"});
    chart.appendChild(svg("title", {id: "dropoff-svg-title"}, "问到哪一题放弃：每个问题问过和停下的对话数"));
    chart.appendChild(svg("desc", {id: "dropoff-svg-desc"}, rows.map(function (r) {
      return r.label + "：问过" + r.asked + "个，停在这里" + r.stopped + "个";
    }).join("；")));
    rows.forEach(function (r, i) {
      var y = top + i * rowH;
      var g = svg("g", {"class": "bar", "data-field": r.field, "data-asked": r.asked, "data-stopped": r.stopped});
      var short = r.label.length > 20 ? r.label.slice(0, 19) + "…" : r.label;
      g.appendChild(svg("title", {}, r.label + "：问过 " + r.asked + "，停在这里 " + r.stopped));
      g.appendChild(svg("text", {x: labelW - 8, y: y + rowH / 2 + 5, "text-anchor": "end", "class": "bar-label"},
                        short));
      g.appendChild(svg("rect", {x: labelW, y: y + 5, width: Math.max(r.asked * scale, 1), height: rowH - 10,
                                 rx: 3, "class": "bar-asked"}));
      if (r.stopped) {
        g.appendChild(svg("rect", {x: labelW, y: y + 5, width: Math.max(r.stopped * scale, 2), height: rowH - 10,
                                   rx: 3, "class": "bar-stopped"}));
      }
      g.appendChild(svg("text", {x: labelW + r.asked * scale + 6, y: y + rowH / 2 + 5, "class": "bar-number"},
                        "问过 " + r.asked + " · 停下 " + r.stopped));
      chart.appendChild(g);
      var row = el("tr");
      row.appendChild(el("th", "", r.label));
      row.lastChild.scope = "row";
      row.appendChild(el("td", "", r.asked));
      row.appendChild(el("td", "", r.stopped));
      body.appendChild(row);
    });
    figure.appendChild(chart);
    var legend = el("figcaption", "legend");
    legend.appendChild(el("span", "key key-asked", "问过"));
    legend.appendChild(el("span", "key key-stopped", "停在这里"));
    figure.appendChild(legend);
  }

  global.LuohuDropoff = {draw: draw};
})(window);
