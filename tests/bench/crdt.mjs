// Cross-library benchmarks in the style of dmonad/crdt-benchmarks: dagsync (the built pkg/) vs
// Yjs, Loro and Automerge from npm, in one Node process, on the same seeded workloads.
//
//   node tests/bench/crdt.mjs            (after ./x pkg; prints a Markdown table)
//
// Every edit is its own transaction (dagsync `commit()`, Yjs implicit transaction, Loro
// `commit()`, Automerge `change`), except B4 "one transaction", which applies the whole trace
// in one. B4 "per edit" also takes each edit's update event (the bytes a peer would be sent:
// dagsync `subscribeLocalUpdates`, Yjs `update`, Loro `subscribeLocalUpdates`, Automerge
// `getLastLocalChange`). Each (benchmark, library) runs once in its own Node process, so
// memory is that run's alone: the growth of the JS heap plus external memory (which holds
// WebAssembly linear memory) after a full GC, with the document still alive. Times are
// wall-clock milliseconds; sizes are the encoded document with full history (dagsync
// `save()`, Yjs `encodeStateAsUpdate`, Loro snapshot export, Automerge `save`).
//
//   BENCH_N=6000 (B1–B3 size)   BENCH_ONLY=substring (run only matching benchmarks)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import * as Automerge from "@automerge/automerge";
import { Doc } from "dagsync";
import { LoroDoc } from "loro-crdt";
import * as Y from "yjs";
import { random } from "../support/random.mjs";

const N = Number(process.env.BENCH_N ?? 6000);
const root = fileURLToPath(new URL("../..", import.meta.url));
const tracesDir = process.env.DAGSYNC_TRACES ?? join(root, "..", "shared", "traces");

const automergeBase = Automerge.from({ text: "", list: [], map: {} }, { actor: "ff".repeat(16) });

/** One library behind a common interface: a text, a list, a map, sync and encoding. */
const libraries = {
  dagsync: {
    name: "dagsync",
    create: (id) => new Doc({ secretKey: (id + 1).toString(16).padStart(64, "0") }),
    insertText: (d, i, s) => d.getText("text").insert(i, s),
    deleteText: (d, i, n) => d.getText("text").delete(i, n),
    text: (d) => d.getText("text").toString(),
    pushNumber: (d, n) => d.getList("list").push(n),
    setKey: (d, k, v) => d.getMap("map").set(k, v),
    getKey: (d, k) => d.getMap("map").get(k),
    commit: (d) => d.commit(),
    onUpdate: (d, f) => d.subscribeLocalUpdates(f),
    update: (d) => d.exportChanges(),
    apply: (d, u) => d.importChanges(u),
    encode: (d) => d.save(),
    decode: (bytes) => Doc.load(bytes),
  },
  yjs: {
    name: "yjs",
    create: (id) => {
      const d = new Y.Doc();
      d.clientID = id + 1;
      return d;
    },
    insertText: (d, i, s) => d.getText("text").insert(i, s),
    deleteText: (d, i, n) => d.getText("text").delete(i, n),
    text: (d) => d.getText("text").toString(),
    pushNumber: (d, n) => d.getArray("list").push([n]),
    setKey: (d, k, v) => d.getMap("map").set(k, v),
    getKey: (d, k) => d.getMap("map").get(k),
    commit: () => {},
    onUpdate: (d, f) => d.on("update", f),
    transact: (d, f) => d.transact(f),
    update: (d) => Y.encodeStateAsUpdate(d),
    apply: (d, u) => Y.applyUpdate(d, u),
    encode: (d) => Y.encodeStateAsUpdate(d),
    decode: (bytes) => {
      const d = new Y.Doc();
      Y.applyUpdate(d, bytes);
      return d;
    },
  },
  loro: {
    name: "loro",
    create: (id) => {
      const d = new LoroDoc();
      d.setPeerId(BigInt(id + 1));
      return d;
    },
    insertText: (d, i, s) => d.getText("text").insert(i, s),
    deleteText: (d, i, n) => d.getText("text").delete(i, n),
    text: (d) => d.getText("text").toString(),
    pushNumber: (d, n) => d.getList("list").push(n),
    setKey: (d, k, v) => d.getMap("map").set(k, v),
    getKey: (d, k) => d.getMap("map").get(k),
    commit: (d) => d.commit(),
    onUpdate: (d, f) => d.subscribeLocalUpdates(f),
    update: (d) => d.export({ mode: "update" }),
    apply: (d, u) => d.import(u),
    encode: (d) => d.export({ mode: "snapshot" }),
    decode: (bytes) => LoroDoc.fromSnapshot(bytes),
  },
  automerge: {
    name: "automerge",
    // Automerge documents are immutable values: the handle is a box around the current one.
    // Every replica starts from one base document, so they share its text, list and map
    // objects (documents created apart would each have their own, and conflict).
    create: (id) => ({ doc: Automerge.clone(automergeBase, { actor: (id + 1).toString(16).padStart(32, "0") }) }),
    insertText: (b, i, s) => (b.doc = Automerge.change(b.doc, (d) => Automerge.splice(d, ["text"], i, 0, s))),
    deleteText: (b, i, n) => (b.doc = Automerge.change(b.doc, (d) => Automerge.splice(d, ["text"], i, n))),
    text: (b) => b.doc.text,
    pushNumber: (b, n) => (b.doc = Automerge.change(b.doc, (d) => d.list.push(n))),
    setKey: (b, k, v) => (b.doc = Automerge.change(b.doc, (d) => (d.map[k] = v))),
    getKey: (b, k) => b.doc.map[k],
    commit: () => {},
    // Automerge has no update event: the last local change is what a peer is sent.
    afterCommit: (b, f) => f(Automerge.getLastLocalChange(b.doc)),
    update: (b) => Automerge.save(b.doc),
    apply: (b, u) => (b.doc = Automerge.loadIncremental(b.doc, u)),
    encode: (b) => Automerge.save(b.doc),
    decode: (bytes) => ({ doc: Automerge.load(bytes) }),
  },
};

function time(f) {
  const start = performance.now();
  const result = f();
  return [performance.now() - start, result];
}

/** JS heap plus external memory (WebAssembly memories are external), after a full GC. */
function memory() {
  globalThis.gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** Runs `run` on fresh documents of `lib`, then measures memory, encoding and parsing. */
function measure(lib, run) {
  const before = memory();
  const [ms, doc] = time(() => run(lib));
  const mem = memory() - before;
  const bytes = lib.encode(doc);
  const [parseMs] = time(() => lib.decode(bytes));
  return { ms, size: bytes.length, parseMs, mem, updates: run.updateBytes ?? null };
}
const benchmarks = {
  [`B1.1 append ${N} chars`]: (lib) => {
    const d = lib.create(0);
    for (let i = 0; i < N; i++) {
      lib.insertText(d, i, "a");
      lib.commit(d);
    }
    return d;
  },
  [`B1.4 insert ${N} chars at random positions`]: (lib) => {
    const d = lib.create(0);
    const rand = random(1);
    for (let i = 0; i < N; i++) {
      lib.insertText(d, Math.floor(rand() * (i + 1)), "a");
      lib.commit(d);
    }
    return d;
  },
  [`B1.7 insert/delete ${N} chars at random positions`]: (lib) => {
    const d = lib.create(0);
    const rand = random(2);
    let length = 0;
    for (let i = 0; i < N; i++) {
      if (length > 0 && rand() < 0.5) {
        lib.deleteText(d, Math.floor(rand() * length), 1);
        length--;
      } else {
        lib.insertText(d, Math.floor(rand() * (length + 1)), "b");
        length++;
      }
      lib.commit(d);
    }
    return d;
  },
  [`B1.8 append ${N} numbers to a list`]: (lib) => {
    const d = lib.create(0);
    for (let i = 0; i < N; i++) {
      lib.pushNumber(d, i);
      lib.commit(d);
    }
    return d;
  },
  [`B2.1 2 users insert ${N / 2} chars each at random positions, then sync`]: (lib) => {
    const a = lib.create(0);
    const b = lib.create(1);
    const rand = random(3);
    for (const d of [a, b]) {
      for (let i = 0; i < N / 2; i++) {
        lib.insertText(d, Math.floor(rand() * (i + 1)), "c");
        lib.commit(d);
      }
    }
    const fromA = lib.update(a);
    const fromB = lib.update(b);
    lib.apply(a, fromB);
    lib.apply(b, fromA);
    if (lib.text(a) !== lib.text(b) || lib.text(a).length !== N) {
      throw new Error(`B2.1 did not converge in ${lib.name}: ${lib.text(a).length} / ${lib.text(b).length} chars`);
    }
    return a;
  },
  [`B3.1 ${Math.round(Math.sqrt(N))} users set one map key concurrently, then merge`]: (lib) => {
    const users = Math.round(Math.sqrt(N));
    const docs = [];
    for (let u = 0; u < users; u++) {
      const d = lib.create(u);
      lib.setKey(d, "v", u);
      lib.commit(d);
      docs.push(d);
    }
    const target = docs[0];
    for (const d of docs.slice(1)) lib.apply(target, lib.update(d));
    const merged = docs[users - 1];
    lib.apply(merged, lib.update(target));
    if (lib.getKey(merged, "v") !== lib.getKey(target, "v")) throw new Error("B3.1 did not converge");
    return target;
  },
};

const trace = JSON.parse(gunzipSync(readFileSync(join(tracesDir, "automerge-paper.json.gz"))).toString("utf8"));

/** Replays the automerge-paper trace on `d`, calling `each` after every edit. */
function replay(lib, d, each) {
  for (const txn of trace.txns) {
    for (const [pos, del, ins] of txn.patches) {
      if (del > 0) lib.deleteText(d, pos, del);
      if (ins.length > 0) lib.insertText(d, pos, ins);
    }
    each();
  }
}

benchmarks[`B4 automerge-paper trace (${trace.txns.length} edits, one transaction and one update event per edit)`] =
  Object.assign(
    function b4PerEdit(lib) {
      const d = lib.create(0);
      let bytes = 0;
      const take = (u) => (bytes += u.length);
      if (lib.onUpdate) lib.onUpdate(d, take);
      if (lib === libraries.automerge) {
        for (const txn of trace.txns) {
          for (const [pos, del, ins] of txn.patches) {
            d.doc = Automerge.change(d.doc, (draft) => Automerge.splice(draft, ["text"], pos, del, ins));
          }
          lib.afterCommit(d, take);
        }
      } else {
        replay(lib, d, () => lib.commit(d));
      }
      if (lib.text(d) !== trace.endContent) throw new Error("B4 did not reproduce endContent");
      b4PerEdit.updateBytes = bytes;
      return d;
    },
  );

benchmarks[`B4 automerge-paper trace (${trace.txns.length} edits, one transaction)`] = (lib) => {
  const d = lib.create(0);
  if (lib === libraries.automerge) {
    // One `change` for the whole trace, splicing into the draft.
    d.doc = Automerge.change(d.doc, (draft) => {
      for (const txn of trace.txns) {
        for (const [pos, del, ins] of txn.patches) Automerge.splice(draft, ["text"], pos, del, ins);
      }
    });
  } else if (lib.transact) {
    lib.transact(d, () => replay(lib, d, () => {}));
  } else {
    replay(lib, d, () => {});
  }
  lib.commit(d);
  if (lib.text(d) !== trace.endContent) throw new Error("B4 did not reproduce endContent");
  return d;
};

const self = fileURLToPath(import.meta.url);
const names = Object.keys(libraries);
const labels = Object.keys(benchmarks).filter((l) => l.includes(process.env.BENCH_ONLY ?? ""));

if (process.argv[2] === "--one") {
  // A child: one benchmark, one library; prints its figures as JSON.
  const [label, name] = [process.argv[3], process.argv[4]];
  console.log(JSON.stringify(measure(libraries[name], benchmarks[label])));
} else {
  const mb = (n) => (n / 1e6).toFixed(1);
  console.log(`| benchmark | ${names.map((n) => `${n} ms / bytes / parse ms / MB`).join(" | ")} |`);
  console.log(`| --- | ${names.map(() => "---").join(" | ")} |`);
  const updates = [];
  for (const label of labels) {
    const cells = names.map((name) => {
      const out = execFileSync(process.execPath, ["--expose-gc", self, "--one", label, name], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
      });
      const { ms, size, parseMs, mem, updates: u } = JSON.parse(out);
      if (u !== null) updates.push(`${name} ${u.toLocaleString("en-US")} B`);
      return `${ms.toFixed(0)} / ${size.toLocaleString("en-US")} / ${parseMs.toFixed(1)} / ${mb(mem)}`;
    });
    console.log(`| ${label} | ${cells.join(" | ")} |`);
  }
  if (updates.length) console.log(`\nB4 per edit, update bytes in total: ${updates.join(", ")}`);
}
