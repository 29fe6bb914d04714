/* Daily briefing (reports/briefing.html): requests by category, the last seven days, and coal
   days of cover. SVG, which prints sharp at any size; redrawn for printing. Data: the
   "briefing-data" JSON block; labels: the chart boxes' data- attributes (translated). */
(function () {
  "use strict";
  var source = document.getElementById("briefing-data");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var charts = [];
  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) return;
    var chart = echarts.init(element, null, {renderer: "svg"});
    chart.setOption(option(element.dataset));
    charts.push(chart);
  }
  draw("category-chart", function (label) {
    return {
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 8, right: 16, top: 30, bottom: 8, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", inverse: true, data: data.categories, axisLabel: {width: 110, overflow: "truncate"}},
      series: [
        {name: label.received, type: "bar", data: data.received, itemStyle: {color: "#b3261e"}},
        {name: label.resolved, type: "bar", data: data.resolved, itemStyle: {color: "#198754"}}
      ]
    };
  });
  draw("trend-chart", function (label) {
    return {
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 8, right: 16, top: 30, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: data.days},
      yAxis: {type: "value", minInterval: 1},
      series: [
        {name: label.received, type: "line", data: data.trend_received, itemStyle: {color: "#b3261e"}},
        {name: label.resolved, type: "line", data: data.trend_resolved, itemStyle: {color: "#198754"}}
      ]
    };
  });
  draw("cover-chart", function (label) {
    return {
      tooltip: {trigger: "axis"},
      grid: {left: 8, right: 16, top: 30, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: data.sources, axisLabel: {interval: 0, width: 80, overflow: "truncate"}},
      // Keep the reserve rule's line in view when every yard is below it.
      yAxis: {type: "value", name: label.axis, max: function (v) { return Math.ceil(Math.max(v.max, data.rule * 1.2)); }},
      series: [{
        name: label.series, type: "bar",
        data: data.cover.map(function (v) { return {value: v, itemStyle: {color: v < data.rule ? "#dc3545" : "#198754"}}; }),
        markLine: {symbol: "none", data: [{yAxis: data.rule, name: label.rule}], lineStyle: {type: "dashed"}, label: {position: "insideEndTop", formatter: "{b} {c}"}}
      }]
    };
  });
  function resize() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();
