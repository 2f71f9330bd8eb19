/* The studies page: every study in brief, refreshed every two seconds. */
"use strict";

(() => {
  const {h, fill, num, ago, json, every, badge, counts} = TS;
  const body = document.querySelector("#studies tbody");

  function row(s) {
    const owners = s.workers.filter((w) => w.alive).map((w) => w.owner).join("\n");
    return h("tr", {"data-study": s.id},
      h("td", {}, h("a", {href: "/studies/" + Number(s.id), class: "study-link"}, s.name)),
      h("td", {}, badge(s.status)),
      h("td", {}, s.direction),
      h("td", {class: "num"}, s.planned ? s.n_trials + " of " + s.planned : String(s.n_trials)),
      h("td", {}, counts(s.counts)),
      h("td", {class: "num"}, num(s.best_value)),
      h("td", {title: s.last_activity || ""}, ago(s.last_activity)),
      h("td", {class: "num", title: owners}, String(s.live_workers)));
  }

  every(2000, async () => {
    const data = await json("/api/studies");
    fill(body, data.studies.map(row));
    document.getElementById("empty").hidden = data.studies.length > 0;
  });
})();
