/* A station (operations/station.html): secondary supply and return against the heating curve's
   target, and the outdoor temperature on a second axis. Data: the "trend-data" JSON block;
   labels: the chart box's data- attributes (translated). */
(function () {
  "use strict";
  var box = document.getElementById("trend");
  var source = document.getElementById("trend-data");
  if (!box || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var label = box.dataset;
  var chart = echarts.init(box);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {data: [label.supply, label.return, label.target, label.outdoor]},
    grid: {left: 40, right: 40, top: 40, bottom: 40},
    xAxis: {type: "category", data: data.time.map(function (t) { return t.slice(5, 16).replace("T", " "); })},
    yAxis: [{type: "value", name: "°C"}, {type: "value", name: label.outdoor + " °C"}],
    series: [
      {name: label.supply, type: "line", showSymbol: false, data: data.supply},
      {name: label.return, type: "line", showSymbol: false, data: data.return},
      {name: label.target, type: "line", showSymbol: false, lineStyle: {type: "dashed"}, data: data.target},
      {name: label.outdoor, type: "line", showSymbol: false, yAxisIndex: 1, data: data.outdoor}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
