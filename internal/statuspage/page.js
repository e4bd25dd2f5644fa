"use strict";
(function () {
  const data = JSON.parse(document.getElementById("report").textContent);
  const rank = { passed: 0, "no evidence": 1, failing: 2, error: 3, invalid: 4 };
  const recipes = data.recipes || [];
  const now = Date.now();
  const day = 86400000;
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const word = (r) => (r.outcome === "missing" || r.outcome === "pending" ? "no evidence" : r.verdict);
  const daysLeft = (r) => (r.expiresAt ? Math.floor((Date.parse(r.expiresAt) - now) / day) : null);
  const countdown = (r) => {
    const d = daysLeft(r);
    if (d === null) return "—";
    const date = r.expiresAt.slice(0, 10);
    return d < 0 ? date + " (expired " + -d + " days ago)" : date + " (in " + d + " days)";
  };
  const signers = (r) => (r.signers || []).map((s) => (s.allowed ? s.class + (s.label ? " (" + s.label + ")" : "") : "not trusted")).join(", ") || "—";
  const phases = (r) => (r.phases || []).map((p) => p.phase + " " + p.passed + "✓ " + (p.failed + p.pending + p.other) + "✗").join(", ") || "—";

  const counts = data.counts;
  const summary = document.getElementById("summary");
  summary.textContent = counts.recipes + " recipes: " + counts.passed + " passed, " + counts.failing + " failing, " +
    counts.invalid + " invalid, " + counts.error + " undecided, " + counts.missing + " without evidence; " +
    counts.expiring + " expiring within 30 days. Swept " + data.generatedAt + " with verifier " + data.verifierVersion +
    (data.maxAgeDays ? ", maximum age " + data.maxAgeDays + " days." : ", no maximum age.");

  const columns = [
    { title: "Recipe", key: (r) => r.name, cell: (r) => { const b = el("button", r.name, "link"); b.addEventListener("click", () => { setParam("r", r.name); detail(); }); return b; } },
    { title: "Verdict", key: (r) => rank[word(r)] ?? 9, cell: (r) => el("span", word(r), "badge v-" + word(r).replace(" ", "-")) },
    { title: "Signers", key: (r) => signers(r), cell: (r) => el("span", signers(r)) },
    { title: "Independent signers", key: (r) => r.independentSigners, cell: (r) => el("span", r.independentSigners) },
    { title: "Attested", key: (r) => r.attestedAt || "", cell: (r) => el("span", r.attestedAt ? r.attestedAt.slice(0, 10) + " (" + Math.floor((now - Date.parse(r.attestedAt)) / day) + " days ago)" : "—") },
    { title: "Expires", key: (r) => { const d = daysLeft(r); return d === null ? Infinity : d; }, cell: (r) => { const d = daysLeft(r); return el("span", countdown(r), d !== null && d <= 30 ? "soon" : ""); } },
    { title: "Phases", key: (r) => phases(r), cell: (r) => el("span", phases(r)) },
  ];
  // The view is in the URL's fragment, so a filtered view or a recipe can be
  // linked: #q=TEXT&v=VERDICT&s=COLUMN&d=-1&r=RECIPE.
  const params = () => new URLSearchParams(location.hash.slice(1));
  const setParam = (k, v) => {
    const p = params();
    if (v === "" || v === null) p.delete(k); else p.set(k, v);
    history.replaceState(null, "", "#" + p.toString());
  };
  const start = params();
  let sortCol = Math.min(Math.max(parseInt(start.get("s") || "1", 10) || 0, 0), 6), sortDir = start.get("d") === "-1" ? -1 : 1;
  const head = document.querySelector("#recipes thead tr");
  columns.forEach((c, i) => {
    const th = el("th");
    const b = el("button", c.title, "sort");
    b.addEventListener("click", () => { sortDir = sortCol === i ? -sortDir : 1; sortCol = i; setParam("s", String(i)); setParam("d", sortDir < 0 ? "-1" : ""); render(); });
    th.appendChild(b);
    head.appendChild(th);
  });
  const filter = document.getElementById("filter");
  const verdictFilter = document.getElementById("verdict");
  filter.value = start.get("q") || "";
  verdictFilter.value = start.get("v") || "";
  filter.addEventListener("input", () => { setParam("q", filter.value); render(); });
  verdictFilter.addEventListener("change", () => { setParam("v", verdictFilter.value); render(); });

  function render() {
    const q = filter.value.toLowerCase();
    const v = verdictFilter.value;
    const rows = recipes.filter((r) => (!v || word(r) === v) &&
      (!q || [r.name, r.recipePath, r.bundlePath, r.pointerPath, r.detail].some((s) => (s || "").toLowerCase().includes(q))));
    const key = columns[sortCol].key;
    rows.sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * sortDir || (a.name < b.name ? -1 : 1); });
    const body = document.querySelector("#recipes tbody");
    body.replaceChildren();
    for (const r of rows) {
      const tr = el("tr");
      tr.dataset.recipe = r.name;
      for (const c of columns) { const td = el("td"); td.appendChild(c.cell(r)); tr.appendChild(td); }
      body.appendChild(tr);
    }
    document.getElementById("shown").textContent = rows.length + " of " + recipes.length + " shown";
  }

  // detail shows every row of the recipe in the URL (a bundle and each
  // pointer file of one recipe are rows of their own).
  function detail() {
    const box = document.getElementById("detail");
    box.replaceChildren();
    const name = params().get("r");
    const rows = recipes.filter((x) => x.name === name);
    if (!rows.length) { box.hidden = true; return; }
    box.hidden = false;
    box.appendChild(el("h2", name));
    for (const r of rows) rowDetail(box, r, rows.length > 1);
    const close = el("button", "Close", "link");
    close.addEventListener("click", () => { setParam("r", ""); detail(); });
    box.appendChild(close);
  }

  function rowDetail(box, r, titled) {
    const sec = el("section", undefined, "row-detail");
    if (titled) sec.appendChild(el("h3", r.pointerPath || r.bundlePath || r.recipePath || r.name));
    sec.appendChild(el("p", word(r) + ": " + r.detail, "badge v-" + word(r).replace(" ", "-")));
    const dl = el("dl");
    const add = (k, v) => { if (v === undefined || v === null || v === "") return; dl.appendChild(el("dt", k)); dl.appendChild(el("dd", v)); };
    add("Recipe", r.recipePath);
    add("Recipe sha256", r.recipeDigest);
    add("Bundle", r.bundlePath);
    add("Bundle sha256", r.bundleDigest);
    add("Pointer", r.pointerPath);
    if (r.pointer) {
      add("Pointer artifact", (r.pointer.oci || "") + " " + (r.pointer.digest || ""));
      add("Pointer source", r.pointer.source);
    }
    add("Attested", r.attestedAt);
    add("Expires", r.expiresAt ? countdown(r) : "");
    add("Independent signers", r.independentSigners);
    for (const s of r.signers || []) add("Signer", s.identity + " (issuer " + s.issuer + "): " + (s.allowed ? s.class + (s.label ? " (" + s.label + ")" : "") : "not trusted by the policy"));
    if (r.match) add("Recipe ↔ bundle", r.match.summary);
    for (const c of r.coverage || []) add("Coverage " + c.phase, (c.covered || []).length + " of " + (c.declared || []).length + " declared checks" + ((c.missing || []).length ? "; missing: " + c.missing.join(", ") : ""));
    if (r.cached) add("Cache", "verification cached; freshness recomputed");
    sec.appendChild(dl);
    if (r.fingerprint) {
      sec.appendChild(el("h4", "Fingerprint and criteria"));
      sec.appendChild(el("p", r.fingerprint.detail));
      const ul = el("ul");
      for (const row of r.fingerprint.rows || []) ul.appendChild(el("li", row.key + ": " + row.value));
      sec.appendChild(ul);
    }
    if ((r.checks || []).length) {
      sec.appendChild(el("h4", "Checks"));
      const t = el("table");
      for (const c of r.checks) {
        const tr = el("tr");
        tr.appendChild(el("td", c.title));
        tr.appendChild(el("td", c.status, "badge s-" + c.status));
        tr.appendChild(el("td", c.detail));
        t.appendChild(tr);
      }
      sec.appendChild(t);
    }
    box.appendChild(sec);
  }
  window.addEventListener("hashchange", detail);
  render();
  detail();
  document.body.dataset.ready = "1";
})();
