/* A trial's page: parameters, folds, intermediate values, failure, owner and
 * heartbeat; refreshed every two seconds while the trial runs. */
"use strict";

(() => {
  const {h, fill, num, param, seconds, time, ago, json, every, badge} = TS;
  const parts = location.pathname.split("/");
  const sid = Number(parts[2]);
  const number = Number(parts[4]);
  const api = "/api/studies/" + sid + "/trials/" + number;
  let finished = false;
  const plotlyReady = new Promise((resolve, reject) => {
    if (window.Plotly) { resolve(); return; }
    const tag = document.getElementById("plotly-js");
    tag.addEventListener("load", () => resolve());
    tag.addEventListener("error", () => reject(new Error("plotly.js did not load")));
  });

  json("/api/studies/" + sid).then((s) => {
    const link = document.getElementById("study-link");
    fill(link, s.name);
    link.href = "/studies/" + sid;
    document.title = "Trial " + number + " of " + TS.show(s.name) + " · tunesmith";
  }).catch(() => {});

  function facts(t) {
    const rows = [
      ["state", badge(t.display_state)], ["value", num(t.value)],
      ["started", time(t.started_at)], ["finished", time(t.finished_at)],
      ["duration", seconds(t.duration)], ["owner", t.owner || "–"],
      ["heartbeat", t.heartbeat_at ? time(t.heartbeat_at) + " (" + ago(t.heartbeat_at) + ")" : "–"],
      ["candidate", t.candidate === null ? "–" : String(t.candidate)],
      ["budget", num(t.budget)],
    ];
    return rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]);
  }

  function foldsTable(folds) {
    if (!folds.length) return h("p", {class: "muted"}, "No folds (not cross-validated).");
    const metrics = [...new Set(folds.flatMap((f) => Object.keys(f.test_scores)))];
    const train = folds.some((f) => f.train_scores);
    return h("table", {class: "grid", id: "folds-table"},
      h("thead", {}, h("tr", {}, h("th", {}, "fold"),
        metrics.map((m) => h("th", {}, "test " + TS.show(m))),
        train ? metrics.map((m) => h("th", {}, "train " + TS.show(m))) : [],
        h("th", {}, "fit time"), h("th", {}, "score time"), h("th", {}, "error"))),
      h("tbody", {}, folds.map((f) => h("tr", {},
        h("td", {class: "num"}, String(f.fold)),
        metrics.map((m) => h("td", {class: "num"}, num(f.test_scores[m]))),
        train ? metrics.map((m) => h("td", {class: "num"},
                                     num(f.train_scores ? f.train_scores[m] : null))) : [],
        h("td", {class: "num"}, seconds(f.fit_time)),
        h("td", {class: "num"}, seconds(f.score_time)),
        h("td", {class: "message"}, f.fit_error || f.score_error || "")))));
  }

  function intermediate(values) {
    const box = document.getElementById("intermediate");
    if (!values.length) { fill(box, h("p", {class: "muted"}, "None reported.")); return; }
    const chart = h("div", {class: "plot body", id: "intermediate-plot"});
    const rows = h("table", {class: "grid"},
      h("thead", {}, h("tr", {}, h("th", {}, "step"), h("th", {}, "value"))),
      h("tbody", {}, values.slice(-200).map(([step, v]) =>
        h("tr", {}, h("td", {class: "num"}, String(step)), h("td", {class: "num"}, num(v))))));
    fill(box, chart, values.length > 200 ? h("p", {class: "muted"}, "last 200 steps:") : null,
         rows);
    const trace = {x: values.map(([s]) => s), mode: "lines+markers", name: "value",
                   y: values.map(([, v]) => (typeof v === "number" ? v : null))};
    const layout = {margin: {l: 60, r: 20, t: 20, b: 40}, height: 300,
                    xaxis: {title: {text: "step"}}, yaxis: {title: {text: "value"}}};
    plotlyReady
      .then(() => Plotly.react(chart, [trace], layout, {displaylogo: false, responsive: true}))
      .catch((error) => fill(chart, h("p", {class: "error"}, error.message)));
  }

  async function load() {
    if (finished) return;
    const t = await json(api);
    fill(document.getElementById("title"), "Trial " + t.number);
    fill(document.getElementById("crumb"), "trial " + t.number);
    fill(document.getElementById("facts"), facts(t));
    fill(document.querySelector("#params tbody"), Object.entries(t.params).map(([k, v]) =>
      h("tr", {}, h("td", {}, k), h("td", {}, param(v)),
        h("td", {class: "muted"}, t.dimensions[k] ? JSON.stringify(t.dimensions[k]) : ""))));
    document.getElementById("failure-box").hidden = !t.message;
    fill(document.getElementById("message"), t.message || "");
    fill(document.getElementById("folds"), foldsTable(t.folds));
    intermediate(t.intermediate);
    const keys = Object.keys(t.attrs).sort();
    fill(document.getElementById("attrs"), keys.length
      ? h("dl", {class: "kv"}, keys.map((k) => [h("dt", {}, k),
          h("dd", {}, h("pre", {}, JSON.stringify(t.attrs[k], null, 2)))]))
      : h("p", {class: "muted"}, "No attributes."));
    finished = t.state !== "running";
  }

  every(2000, load);
})();
