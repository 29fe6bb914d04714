/* Coal reserve (fuel/company.html): days of cover per heat source against the reserve rule.
   Data: the "cover-data" JSON block; labels: the chart box's data- attributes (translated). */
(function () {
  "use strict";
  var box = document.getElementById("cover-chart");
  var source = document.getElementById("cover-data");
  if (!box || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(box);
  chart.setOption({
    tooltip: {trigger: "axis"},
    grid: {left: 40, right: 20, top: 30, bottom: 30},
    xAxis: {type: "category", data: data.names},
    yAxis: {type: "value", name: box.dataset.axis},
    series: [{
      name: box.dataset.series, type: "bar",
      data: data.cover.map(function (v) { return {value: v, itemStyle: {color: v < data.rule ? "#dc3545" : "#198754"}}; }),
      markLine: {symbol: "none", data: [{yAxis: data.rule, name: box.dataset.rule}], lineStyle: {type: "dashed"}}
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
