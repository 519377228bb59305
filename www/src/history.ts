// The History panel: the change DAG as an SVG graph (one lane per author, newest on top, edges
// to the changes each one depends on) and a time-travel slider that shows the notebook at the
// heads of any prefix of the history (doc.view(heads)).
import type { HistoryEntry } from "dagsync";
import { colorOf, fingerprint } from "./identity";
import { Notebook } from "./model";
import { ago, byId, el } from "./ui";

const SVG = "http://www.w3.org/2000/svg";
/** The newest changes drawn (the slider still reaches back through all of them). */
const MAX_DRAWN = 150;
const ROW = 38;
const LANE = 22;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** The heads of the first `count` entries of a topologically ordered history. */
export function headsOf(entries: HistoryEntry[], count: number): string[] {
  const prefix = entries.slice(0, count);
  const covered = new Set(prefix.flatMap((e) => e.deps));
  return prefix.filter((e) => !covered.has(e.hash)).map((e) => e.hash).sort();
}

/** Consecutive changes of one author, each depending only on the one before (a burst of
 * typing that was synced change by change): drawn as one node. */
interface Run {
  actor: string;
  /** The index of its first entry in the history. */
  first: number;
  entries: HistoryEntry[];
}

export function runsOf(entries: HistoryEntry[]): Run[] {
  const runs: Run[] = [];
  entries.forEach((e, i) => {
    const run = runs[runs.length - 1];
    const prev = run?.entries[run.entries.length - 1];
    const continues =
      run && prev && run.actor === e.actor && e.deps.length === 1 && e.deps[0] === prev.hash && !e.message && !prev.message;
    if (continues) run.entries.push(e);
    else runs.push({ actor: e.actor, first: i, entries: [e] });
  });
  return runs;
}

function describe(run: Run): string {
  const first = run.entries[0]!;
  if (first.message) return first.message;
  if (first.seq === 1) return "Joined the notebook";
  const n = run.entries.length;
  return n === 1 ? "Edited" : `${n} edits`;
}

export class HistoryPanel {
  private readonly root = byId("history-panel");
  private readonly summary = el("p", { class: "hint" });
  private readonly slider = el("input", { type: "range", min: "1", max: "1", value: "1", "aria-label": "Time travel", "data-testid": "time-slider" });
  private readonly label = el("div", { class: "slider-label", "data-testid": "time-label" });
  private readonly preview = el("div", { class: "preview", "data-testid": "time-preview" });
  private readonly graph = el("div", { class: "graph", "data-testid": "dag" });
  private entries: HistoryEntry[] = [];
  private visible = false;
  private timer: number | undefined;
  /** Whether the slider is at the newest version (it follows new changes then). */
  private atNow = true;

  constructor(private readonly notebook: Notebook) {
    this.slider.addEventListener("input", () => {
      this.atNow = Number(this.slider.value) >= this.entries.length;
      this.renderTime();
      this.renderGraph();
    });
    const now = el("button", { class: "button", type: "button" }, "Now");
    now.addEventListener("click", () => {
      this.atNow = true;
      this.refresh();
    });
    this.root.append(
      el("h3", {}, "Time travel"),
      this.summary,
      el("div", { class: "row slider-row" }, this.slider, now),
      this.label,
      this.preview,
      el("h3", {}, "Changes"),
      this.graph,
    );
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.refresh();
  }

  /** A change of the document: redrawn shortly after (reading the history seals the
   * pending change, so not on every keystroke). */
  onChange(): void {
    if (!this.visible) return;
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.refresh(), 600);
  }

  private refresh(): void {
    this.entries = this.notebook.doc.history();
    const n = this.entries.length;
    this.slider.max = String(Math.max(1, n));
    if (this.atNow) this.slider.value = String(n);
    const authors = new Set(this.entries.map((e) => e.actor)).size;
    this.summary.textContent = `${n} change${n === 1 ? "" : "s"} by ${authors} author${authors === 1 ? "" : "s"}, each signed and hash-linked to the ones before it.`;
    this.renderTime();
    this.renderGraph();
  }

  private who(actor: string): string {
    return this.notebook.personName(actor) ?? fingerprint(actor).slice(0, 9);
  }

  private renderTime(): void {
    const n = this.entries.length;
    const k = Math.min(Number(this.slider.value), n);
    const entry = this.entries[k - 1];
    if (!entry) {
      this.label.textContent = "Nothing written yet.";
      this.preview.replaceChildren();
      return;
    }
    const when = new Date(entry.time).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
    this.label.replaceChildren(
      el("strong", {}, k === n ? "Now" : `Version ${k} of ${n}`),
      ` · ${when} · ${this.who(entry.actor)}`,
    );
    const view = this.notebook.doc.view(headsOf(this.entries, k));
    const past = new Notebook(view);
    const notes = past.list();
    const cards = notes.map((note) =>
      el(
        "div",
        { class: "preview-note" },
        el("div", { class: "preview-title" }, note.title.toString() || "Untitled note"),
        el("div", { class: "preview-body" }, note.body.toString().slice(0, 240) || "—"),
      ),
    );
    this.preview.classList.toggle("past", k < n);
    this.preview.replaceChildren(
      el("div", { class: "preview-head" }, past.name(), el("span", { class: "hint" }, `${notes.length} note${notes.length === 1 ? "" : "s"}`)),
      ...(cards.length ? cards : [el("div", { class: "hint" }, "No notes at this version.")]),
    );
    view.free();
  }

  private renderGraph(): void {
    const n = this.entries.length;
    const k = Number(this.slider.value);
    const all = runsOf(this.entries);
    const hidden = Math.max(0, all.length - MAX_DRAWN);
    const runs = all.slice(hidden);
    const lanes = new Map<string, number>();
    for (const run of runs) if (!lanes.has(run.actor)) lanes.set(run.actor, lanes.size);
    const rowOf = new Map<string, number>();
    runs.forEach((run, i) => {
      for (const e of run.entries) rowOf.set(e.hash, runs.length - 1 - i);
    });
    const x = (actor: string) => 14 + (lanes.get(actor) ?? 0) * LANE;
    const y = (r: number) => 16 + r * ROW;
    const textX = 14 + lanes.size * LANE + 6;
    const root = svg("svg", { width: "100%", height: y(runs.length - 1) + 22, role: "img", "aria-label": "Change graph" });
    const edges = svg("g", { class: "edges" });
    const nodes = svg("g", { class: "nodes" });
    runs.forEach((run, i) => {
      const r = runs.length - 1 - i;
      const future = run.first >= k;
      for (const dep of run.entries[0]!.deps) {
        const rd = rowOf.get(dep);
        const depRun = rd === undefined ? undefined : runs[runs.length - 1 - rd];
        if (rd === undefined || !depRun) continue;
        const [x1, y1, x2, y2] = [x(run.actor), y(r), x(depRun.actor), y(rd)];
        const mid = (y1 + y2) / 2;
        edges.append(
          svg("path", {
            d: `M${x1} ${y1} C${x1} ${mid} ${x2} ${mid} ${x2} ${y2}`,
            stroke: colorOf(run.actor),
            class: future ? "edge future" : "edge",
          }),
        );
      }
      const last = run.entries[run.entries.length - 1]!;
      const current = k - 1 >= run.first && k - 1 < run.first + run.entries.length;
      const g = svg("g", { class: future ? "node future" : current ? "node current" : "node" });
      const dot = svg("circle", { cx: x(run.actor), cy: y(r), r: current ? 7 : 5, fill: colorOf(run.actor) });
      const title = svg("title", {});
      title.textContent = `${last.hash}\n${this.who(run.actor)} · ${new Date(last.time).toLocaleString()}`;
      dot.append(title);
      const label = svg("text", { x: textX, y: y(r) - 2, class: "msg" });
      label.textContent = describe(run);
      const sub = svg("text", { x: textX, y: y(r) + 12, class: "sub" });
      sub.textContent = `${this.who(run.actor)} · ${ago(last.time)} · ${last.hash.slice(0, 7)}`;
      g.append(dot, label, sub);
      g.addEventListener("click", () => {
        const to = run.first + run.entries.length;
        this.slider.value = String(to);
        this.atNow = to >= n;
        this.renderTime();
        this.renderGraph();
      });
      nodes.append(g);
    });
    root.append(edges, nodes);
    this.graph.replaceChildren(root);
    if (hidden > 0) this.graph.append(el("p", { class: "hint" }, `…and ${hidden} older groups of changes.`));
  }
}
