/* Inspections oversight (inspections/oversight.html): completion rate by zone, red below 90 %.
   Data: the "completion-data" JSON block; label: the chart box's data-series (translated). */
(function () {
  "use strict";
  var box = document.getElementById("completion-chart");
  var source = document.getElementById("completion-data");
  if (!box || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(box);
  chart.setOption({
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + " %"; }},
    grid: {left: 40, right: 10, top: 20, bottom: 30, containLabel: true},
    xAxis: {type: "category", data: data.labels, axisLabel: {interval: 0, overflow: "truncate", width: 80}},
    yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value} %"}},
    series: [{
      name: box.dataset.series, type: "bar",
      data: data.rates.map(function (v) { return {value: v, itemStyle: {color: v !== null && v < 90 ? "#dc3545" : "#198754"}}; })
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
