/* A study's page: live summary (polled every second through the change sequence),
 * the verdict, the report's plots (redrawn at most every eight seconds while the
 * study runs), and the trials table sorted, filtered and paged by the server. */
"use strict";

(() => {
  const {h, fill, num, params, seconds, time, json, every, badge, counts, STATES} = TS;
  const sid = Number(location.pathname.split("/")[2]);
  const api = "/api/studies/" + sid;
  const PLOT_EVERY_MS = 8000;
  const VERDICT_EVERY_MS = 15000;
  const table = {sort: "number", order: "asc", offset: 0, limit: 50, total: 0};
  let seq = null;
  let plotted = {seq: null, at: 0, busy: false};
  let verdictAt = 0;
  let tableBusy = false;
  // plotly.js (4 MB: a second or two to evaluate on a slow machine) starts loading at
  // once, while the server draws the plots (it started when the page was asked for):
  // by the time their JSON arrives, plotly is ready to draw it.
  const plotlyReady = new Promise((resolve, reject) => {
    if (window.Plotly) { resolve(); return; }
    const tag = h("script", {src: "/static/plotly.min.js"});
    tag.addEventListener("load", () => resolve());
    tag.addEventListener("error", () => reject(new Error("plotly.js did not load")));
    document.head.append(tag);
  });
  // The first plot waits for the first status to be shown: the count comes first.
  let statusShown;
  const firstStatus = new Promise((resolve) => { statusShown = resolve; });

  // -- the study ---------------------------------------------------------------------

  async function loadStudy() {
    const s = await json(api);
    document.title = TS.show(s.name) + " · tunesmith";
    fill(document.getElementById("name"), s.name);
    fill(document.getElementById("crumb"), s.name);
    fill(document.getElementById("direction"), s.direction);
    renderAttrs(s.attrs);
  }

  function renderVerdict(v) {
    const el = document.getElementById("verdict");
    if (!v) {
      fill(el, h("p", {class: "muted"}, "No verdict: no complete trial has fold scores " +
                                        "(a study that is not cross-validated)."));
      return;
    }
    fill(el, v.lines.map((line) => h("p", {}, line)),
         h("p", {class: "muted"}, "(the best compared with the " + (v.compared - 1) +
                                  " next best trials)"));
  }

  function renderAttrs(attrs) {
    const keys = Object.keys(attrs).sort();
    const el = document.getElementById("attrs");
    if (!keys.length) { fill(el, h("p", {class: "muted"}, "No attributes.")); return; }
    fill(el, h("dl", {class: "kv"}, keys.map((k) => [
      h("dt", {}, k),
      h("dd", {}, typeof attrs[k] === "object" && attrs[k] !== null
        ? h("pre", {}, JSON.stringify(attrs[k], null, 2)) : TS.param(attrs[k])),
    ])));
  }

  function renderStatus(st) {
    fill(document.getElementById("n-trials"), String(st.n_trials));
    fill(document.getElementById("status"), badge(st.status));
    fill(document.getElementById("counts"), counts(st.counts));
    const best = document.getElementById("best");
    if (st.best) {
      fill(best, num(st.best.value) + " (trial " + st.best.number + ")");
      best.href = "/studies/" + sid + "/trials/" + Number(st.best.number);
    } else {
      fill(best, "–");
      best.removeAttribute("href");
    }
    const alive = st.workers.filter((w) => w.alive);
    const workers = document.getElementById("workers");
    fill(workers, alive.length + " live worker" + (alive.length === 1 ? "" : "s"));
    workers.title = alive.map((w) => TS.show(w.owner) + ": " + w.running + " running, beat " +
                                     TS.ago(w.heartbeat_at)).join("\n");
  }

  async function poll() {
    try {
      const st = await json(api + "/status");
      renderStatus(st);
      if (st.seq !== seq) {
        seq = st.seq;
        loadTable();
        if (verdictAt && Date.now() - verdictAt > VERDICT_EVERY_MS) loadVerdict();
      }
      if (plotted.seq !== seq && !plotted.busy && Date.now() - plotted.at > PLOT_EVERY_MS) {
        loadPlots();
      }
    } finally {
      // Once painted (the next frame), the plots may take the browser's time.
      requestAnimationFrame(() => setTimeout(statusShown, 0));
    }
  }

  // -- plots -------------------------------------------------------------------------

  // Plots are drawn one at a time, each in a task of its own (in the order their JSON
  // arrives): between two, the page stays responsive and the live count moves.
  let drawing = Promise.resolve();
  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

  function inTurn(draw) {
    const turn = drawing.then(nextTask).then(draw);
    drawing = turn.catch(() => {});
    return turn;
  }

  async function drawPlot(box) {
    const key = box.dataset.key;
    const body = box.querySelector(".body");
    try {
      const entry = await json(api + "/plots/" + encodeURIComponent(key));
      await Promise.all([plotlyReady, firstStatus]);
      return await inTurn(() => showPlot(box, body, entry));
    } catch (error) {
      if (window.Plotly) Plotly.purge(body);
      fill(body, h("p", {class: "message error"}, "Could not draw: " + error.message));
      box.dataset.drawn = "error";
      return null;
    }
  }

  async function showPlot(box, body, entry) {
    if (entry.message) {
      Plotly.purge(body);
      fill(body, h("p", {class: "message"}, "Not drawn: " + entry.message));
      box.dataset.drawn = "message";
    } else {
      if (!body.classList.contains("js-plotly-plot")) body.replaceChildren();
      await Plotly.react(body, entry.figure.data, entry.figure.layout,
                         {displaylogo: false, responsive: true});
      box.dataset.drawn = "figure";
    }
    return entry.seq;
  }

  async function loadPlots() {
    plotted.busy = true;
    const container = document.getElementById("plots");
    try {
      // The page comes with a box per plot: every plot is asked for at once, before
      // plotly.js keeps the browser busy, and drawn as soon as it is ready.
      const boxes = [...container.querySelectorAll(".plot[data-key]")];
      const seqs = await Promise.all(boxes.map(drawPlot));
      plotted.seq = Math.min(...seqs.map((s) => (s === null ? -1 : s)));
      container.dataset.state = "drawn";
      container.dataset.seq = String(plotted.seq);
      if (!verdictAt) loadVerdict();
    } finally {
      plotted.at = Date.now();
      plotted.busy = false;
    }
  }

  async function loadVerdict() {
    verdictAt = Date.now();
    try {
      renderVerdict((await json(api + "/verdict")).verdict);
    } catch (error) {
      fill(document.getElementById("verdict"), h("p", {class: "error"}, error.message));
    }
  }

  // -- the trials table --------------------------------------------------------------

  const form = document.getElementById("filters");
  fill(document.getElementById("state-filter"), STATES.map((s) =>
    h("label", {}, h("input", {type: "checkbox", name: "state", value: s}), " " + s)));

  function tableUrl() {
    const q = new URLSearchParams();
    q.set("sort", table.sort);
    q.set("order", table.order);
    q.set("offset", String(table.offset));
    q.set("limit", String(table.limit));
    for (const box of form.querySelectorAll("input[name=state]:checked")) q.append("state", box.value);
    for (const name of ["q", "min", "max"]) {
      const value = form.elements[name].value.trim();
      if (value) q.set(name, value);
    }
    return api + "/trials?" + q.toString();
  }

  function steps(s) {
    if (!s) return "";
    return s.n + " (step " + s.last_step + ": " + num(s.last_value) + ")";
  }

  function trialRow(t) {
    const link = "/studies/" + sid + "/trials/" + Number(t.number);
    return h("tr", {"data-number": t.number},
      h("td", {class: "num"}, h("a", {href: link}, String(t.number))),
      h("td", {}, badge(t.state)),
      h("td", {class: "num"}, num(t.value)),
      h("td", {class: "params"}, params(t.params)),
      h("td", {class: "num"}, seconds(t.duration)),
      h("td", {}, time(t.started_at)),
      h("td", {}, steps(t.steps)),
      h("td", {class: "message"}, t.message ? t.message.split("\n")[0].slice(0, 300) : ""));
  }

  async function loadTable() {
    if (tableBusy) return;
    tableBusy = true;
    try {
      const page = await json(tableUrl());
      table.total = page.total;
      fill(document.querySelector("#trials tbody"), page.trials.map(trialRow));
      const first = page.total ? page.offset + 1 : 0;
      const last = page.offset + page.trials.length;
      fill(document.getElementById("range"), first + "–" + last + " of " + page.total);
      for (const th of document.querySelectorAll("#trials th.sortable")) {
        th.classList.toggle("sorted", th.dataset.sort === table.sort);
        th.classList.toggle("desc", th.dataset.sort === table.sort && table.order === "desc");
      }
    } catch (error) {
      fill(document.querySelector("#trials tbody"),
           h("tr", {}, h("td", {colspan: 8, class: "error"}, error.message)));
    } finally {
      tableBusy = false;
    }
  }

  for (const th of document.querySelectorAll("#trials th.sortable")) {
    th.addEventListener("click", () => {
      if (table.sort === th.dataset.sort) table.order = table.order === "asc" ? "desc" : "asc";
      else { table.sort = th.dataset.sort; table.order = "asc"; }
      table.offset = 0;
      loadTable();
    });
  }
  form.addEventListener("input", () => {
    table.limit = Number(form.elements.limit.value);
    table.offset = 0;
    loadTable();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("pager").addEventListener("click", (event) => {
    const go = event.target.dataset && event.target.dataset.go;
    if (!go) return;
    const lastPage = Math.max(0, Math.ceil(table.total / table.limit) - 1) * table.limit;
    table.offset = {first: 0, prev: Math.max(0, table.offset - table.limit),
                    next: Math.min(lastPage, table.offset + table.limit), last: lastPage}[go];
    loadTable();
  });

  loadStudy().catch((error) => fill(document.getElementById("name"), error.message));
  every(1000, poll);
  loadPlots();
})();
