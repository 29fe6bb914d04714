/* A coal yard (fuel/source.html): stock books and forecast with its band, the scenarios and the
   reserve-rule line; and, when there is a heat-output model, the expected hourly output.
   Data: the "stock-data" and "hourly-data" JSON blocks; labels: the chart boxes' data-
   attributes (translated). */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var charts = [];
  var box = document.getElementById("stock-chart");
  var source = document.getElementById("stock-data");
  if (box && source) {
    var data = JSON.parse(source.textContent);
    var rule = Array(data.rule_pad).fill(null).concat(data.rule);
    var chart = echarts.init(box);
    chart.setOption({
      tooltip: {trigger: "axis"},
      legend: {type: "scroll", top: 0},
      grid: {left: 50, right: 20, top: 40, bottom: 30},
      xAxis: {type: "category", data: data.days.map(function (d) { return d.slice(5); })},
      yAxis: {type: "value", name: "t"},
      series: [
        {name: box.dataset.books, type: "line", showSymbol: false, data: data.history, lineStyle: {width: 3}},
        {name: "band-low", type: "line", stack: "band", showSymbol: false, lineStyle: {opacity: 0}, data: data.band_low, tooltip: {show: false}},
        {name: box.dataset.band, type: "line", stack: "band", showSymbol: false, lineStyle: {opacity: 0}, areaStyle: {opacity: 0.15}, data: data.band_high}
      ].concat(data.scenarios.map(function (s, i) {
        return {name: s.name, type: "line", showSymbol: false, data: s.data, lineStyle: {type: i ? "dashed" : "solid"}};
      })).concat([
        {name: box.dataset.rule, type: "line", showSymbol: false, data: rule, lineStyle: {type: "dotted", color: "#dc3545"}}
      ])
    });
    charts.push(chart);
  }
  var hourlyBox = document.getElementById("hourly-chart");
  var hourly = document.getElementById("hourly-data");
  if (hourlyBox && hourly) {
    var load = JSON.parse(hourly.textContent);
    var hourlyChart = echarts.init(hourlyBox);
    hourlyChart.setOption({
      tooltip: {trigger: "axis"},
      grid: {left: 50, right: 20, top: 20, bottom: 30},
      xAxis: {type: "category", data: load.hours},
      yAxis: {type: "value", name: "MW"},
      series: [{name: hourlyBox.dataset.series, type: "line", showSymbol: false, areaStyle: {opacity: 0.2}, data: load.mw}]
    });
    charts.push(hourlyChart);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
