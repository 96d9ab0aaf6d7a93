// The report's charts, drawn with Vega-Lite from window.JHU_REPORT (the data asset) and
// window.JHU_SHAPES (world-atlas and us-atlas TopoJSON). No request leaves the page: every
// dataset is given inline as values, and vega-embed runs with its actions menu off.
(function () {
  "use strict";
  const R = window.JHU_REPORT;
  const S = window.JHU_SHAPES;
  const OPTIONS = { renderer: "svg", actions: false };
  const DATES = R.world.dates;
  const WIDTH = 860;
  const x = {
    field: "date", type: "temporal", timeUnit: "utcyearmonthdate", title: null,
    axis: { format: "%b %Y", labelOverlap: true },
  };
  const status = { ready: 0, failed: null };

  function fail(error) {
    status.failed = String(error && error.message ? error.message : error);
    const box = document.getElementById("page-error");
    box.hidden = false;
    box.textContent = "A chart could not be drawn: " + status.failed;
    console.error(error);
  }

  function line(field, title, color, height) {
    return {
      width: WIDTH,
      height: height,
      mark: { type: "line", color: color, strokeWidth: 1.4 },
      encoding: {
        x: x,
        y: { field: field, type: "quantitative", title: title },
        tooltip: [
          { field: "date", type: "temporal", timeUnit: "utcyearmonthdate", title: "date" },
          { field: field, type: "quantitative", title: title, format: ",.1f" },
        ],
      },
    };
  }

  // --- the world ---------------------------------------------------------------------------
  function worldSpec() {
    const values = DATES.map((d, i) => ({
      date: d, cases: R.world.cases_7d[i], deaths: R.world.deaths_7d[i],
    }));
    return {
      data: { values: values },
      vconcat: [
        line("cases", "new cases, 7-day avg", "#1f5f9e", 160),
        line("deaths", "new deaths, 7-day avg", "#8c2d04", 160),
      ],
    };
  }

  // --- one country -------------------------------------------------------------------------
  const byName = new Map(R.countries.map((c) => [c.name, c]));

  function countryRows(c) {
    return DATES.map((d, i) => ({
      date: d, cases: c.cases_7d[i], deaths: c.deaths_7d[i],
      per100k: c.deaths_per_100k[i], cfr: c.cfr_pct[i],
    }));
  }

  function revisionRows(c) {
    const rows = [];
    for (const series of ["confirmed", "deaths"]) {
      for (const [i, fall] of c.revisions[series]) {
        rows.push({
          date: DATES[i], series: series, fall: fall,
          y: series === "confirmed" ? c.cases_7d[i] : c.deaths_7d[i],
        });
      }
    }
    return rows;
  }

  function withRevisions(field, title, color, series) {
    return {
      layer: [
        line(field, title, color, 120),
        {
          data: { name: "revisions" },
          transform: [{ filter: { field: "series", equal: series } }],
          mark: { type: "point", filled: true, color: "#d62728", size: 28 },
          encoding: {
            x: x,
            y: { field: "y", type: "quantitative" },
            tooltip: [
              { field: "date", type: "temporal", timeUnit: "utcyearmonthdate", title: "revised on" },
              { field: "fall", type: "quantitative", title: "new " + series + " that day", format: "," },
            ],
          },
        },
      ],
    };
  }

  function countrySpec(c) {
    return {
      datasets: { country: countryRows(c), revisions: revisionRows(c) },
      data: { name: "country" },
      vconcat: [
        withRevisions("cases", "new cases, 7-day avg", "#1f5f9e", "confirmed"),
        withRevisions("deaths", "new deaths, 7-day avg", "#8c2d04", "deaths"),
        line("per100k", "deaths per 100k", "#54278f", 100),
        line("cfr", "case fatality, %", "#333333", 100),
      ],
      resolve: { scale: { x: "shared" } },
    };
  }

  function fmt(v, digits) {
    if (v === null || v === undefined) return "unknown";
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: digits });
  }

  function summarise(c) {
    const l = c.last || {};
    const revisions = c.revisions.confirmed.length + c.revisions.deaths.length;
    document.getElementById("country-summary").textContent =
      c.name + " on " + l.date + ": " + fmt(l.confirmed, 0) + " confirmed, " +
      fmt(l.deaths, 0) + " deaths; " + fmt(l.confirmed_per_100k, 1) + " cases and " +
      fmt(l.deaths_per_100k, 1) + " deaths per 100k; case fatality " + fmt(l.cfr_pct, 2) +
      " %; " + revisions + " downward revisions; population " + fmt(c.population, 0) + ".";
  }

  // --- the world map -----------------------------------------------------------------------
  function mapRows(i) {
    return Object.entries(R.map.values).map(([id, v]) => ({
      id: id, name: R.map.names[id], per100k: v[i],
    }));
  }

  function mapSpec() {
    const i = R.map.dates.length - 1;
    return {
      width: WIDTH, height: 430,
      datasets: { rates: mapRows(i) },
      projection: { type: "equalEarth" },
      layer: [
        {
          data: { values: S.world, format: { type: "topojson", feature: "countries" } },
          mark: { type: "geoshape", fill: "#e5e5e5", stroke: "#ffffff", strokeWidth: 0.3 },
        },
        {
          data: { values: S.world, format: { type: "topojson", feature: "countries" } },
          transform: [
            { lookup: "id", from: { data: { name: "rates" }, key: "id", fields: ["per100k", "name"] } },
            { filter: "isValid(datum.per100k)" },
          ],
          mark: { type: "geoshape", stroke: "#ffffff", strokeWidth: 0.3 },
          encoding: {
            color: {
              field: "per100k", type: "quantitative", title: "deaths per 100k",
              scale: { scheme: "orangered", domain: [0, R.map.max] },
            },
            tooltip: [
              { field: "name", title: "country" },
              { field: "per100k", type: "quantitative", title: "deaths per 100k", format: ",.1f" },
            ],
          },
        },
      ],
    };
  }

  // --- US states ---------------------------------------------------------------------------
  function usSpec() {
    return {
      width: 520, height: 320,
      projection: { type: "albersUsa" },
      data: { values: S.us, format: { type: "topojson", feature: "states" } },
      transform: [
        {
          lookup: "id",
          from: { data: { values: R.us_states.states }, key: "fips", fields: ["name", "deaths_per_100k"] },
        },
      ],
      mark: { type: "geoshape", stroke: "#ffffff", strokeWidth: 0.5 },
      encoding: {
        color: {
          field: "deaths_per_100k", type: "quantitative", title: "deaths per 100k",
          scale: { scheme: "purples" },
        },
        tooltip: [
          { field: "name", title: "state" },
          { field: "deaths_per_100k", type: "quantitative", title: "deaths per 100k", format: ",.1f" },
        ],
      },
    };
  }

  function draw(id, spec) {
    return vegaEmbed("#" + id, spec, OPTIONS).then((result) => {
      status.ready += 1;
      return result.view;
    });
  }

  function start() {
    const picker = document.getElementById("country-picker");
    const slider = document.getElementById("map-date");
    const sliderLabel = document.getElementById("map-date-label");
    const first = byName.get(picker.value) || R.countries[0];
    summarise(first);
    const charts = [
      draw("world-chart", worldSpec()),
      draw("country-chart", countrySpec(first)).then((view) => {
        picker.addEventListener("change", () => {
          const c = byName.get(picker.value);
          summarise(c);
          const all = () => true;
          view.change("country", vega.changeset().remove(all).insert(countryRows(c)));
          view.change("revisions", vega.changeset().remove(all).insert(revisionRows(c)));
          document.body.dataset.country = "drawing";
          view.runAsync().then(() => { document.body.dataset.country = c.name; }, fail);
        });
        document.body.dataset.country = first.name;
      }),
      draw("map-chart", mapSpec()).then((view) => {
        slider.addEventListener("input", () => {
          const i = Number(slider.value);
          sliderLabel.textContent = R.map.dates[i];
          view.change("rates", vega.changeset().remove(() => true).insert(mapRows(i)));
          view.runAsync().catch(fail);
        });
      }),
      draw("us-chart", usSpec()),
    ];
    Promise.all(charts).then(
      () => { document.body.dataset.charts = String(status.ready); },
      (error) => { fail(error); document.body.dataset.charts = "failed"; },
    );
  }

  window.addEventListener("error", (event) => fail(event.error || event.message));
  if (!window.vegaEmbed || !R || !S) {
    fail("the page's scripts did not load (open index.html with its assets folder beside it)");
    document.body.dataset.charts = "failed";
    return;
  }
  start();
})();
