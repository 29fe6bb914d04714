/* Coverage audit (grid/coverage.html): households per overloaded owner against the limit.
   Data: the "chart-data" JSON block. */
(function () {
  "use strict";
  var box = document.getElementById("load-chart");
  var source = document.getElementById("chart-data");
  if (!box || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(box);
  chart.setOption({
    grid: {left: 50, right: 10, top: 20, bottom: 30},
    xAxis: {type: "category", data: data.loads.map(function (_, i) { return i + 1; })},
    yAxis: {type: "value"},
    series: [{type: "bar", data: data.loads, itemStyle: {color: "#b3261e"},
              markLine: {data: [{yAxis: data.limit}], lineStyle: {color: "#333"}}}]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
