/* tunesmith dashboard: helpers shared by the pages.
 *
 * Everything from storage is data: the DOM is built with createElement and text
 * nodes (never innerHTML), and show() writes control characters (terminal escapes,
 * bidirectional overrides) as visible escapes, as the CLI does. */
"use strict";

const TS = (() => {
  const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

  function escapeChar(c) {
    const n = c.charCodeAt(0);
    return n <= 0xff ? "\\x" + n.toString(16).padStart(2, "0")
                     : "\\u" + n.toString(16).padStart(4, "0");
  }

  /** Any stored value as display text. */
  function show(value) {
    if (value === null || value === undefined) return "";
    const text = typeof value === "string" ? value
      : typeof value === "object" ? JSON.stringify(value) : String(value);
    return text.replace(UNSAFE, escapeChar);
  }

  /** An element with properties and children (strings become text nodes). */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : show(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(show(child)));
    }
    return el;
  }

  /** Replace an element's children. */
  function fill(el, ...children) {
    el.replaceChildren();
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(show(child)));
    }
    return el;
  }

  /** A trial value or score: 6 significant digits; "nan"/"inf" as they come. */
  function num(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value !== "number") return show(value);
    if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
    return String(Number(value.toPrecision(6)));
  }

  /** A parameter value: strings as they are, numbers short, others as JSON. */
  function param(value) {
    if (typeof value === "number") return num(value);
    return show(value);
  }

  function params(p) {
    return Object.entries(p || {}).map(([k, v]) => show(k) + "=" + param(v)).join(", ");
  }

  function seconds(s) {
    if (s === null || s === undefined) return "–";
    if (s < 1) return (s * 1000).toFixed(0) + " ms";
    if (s < 120) return s.toFixed(1) + " s";
    if (s < 7200) return (s / 60).toFixed(1) + " min";
    return (s / 3600).toFixed(1) + " h";
  }

  function time(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    return isNaN(d) ? show(iso) : d.toLocaleString();
  }

  function ago(iso) {
    if (!iso) return "–";
    const s = (Date.now() - new Date(iso).getTime()) / 1000;
    if (!isFinite(s)) return show(iso);
    return s < 5 ? "just now" : seconds(Math.max(s, 0)) + " ago";
  }

  async function json(url) {
    const response = await fetch(url, {headers: {accept: "application/json"}});
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
    return body;
  }

  /** Run fn now and then every ms after it finishes (never two at once). */
  function every(ms, fn) {
    const live = document.getElementById("live");
    async function tick() {
      try {
        await fn();
        if (live) { live.textContent = "live"; live.className = "live"; }
      } catch (error) {
        if (live) { live.textContent = "offline: " + show(error.message); live.className = "live off"; }
      }
      setTimeout(tick, ms);
    }
    return tick();
  }

  function badge(state) {
    return h("span", {class: "badge " + String(state).replace(/[^a-z]/g, "")}, state);
  }

  const STATES = ["running", "complete", "failed", "pruned", "skipped"];

  function counts(c) {
    return STATES.filter((s) => c[s]).map((s) => h("span", {class: "count " + s},
                                                   c[s] + " " + s));
  }

  return {show, h, fill, num, param, params, seconds, time, ago, json, every, badge,
          counts, STATES};
})();
