// Node tests of the built npm package (pkg/): documents, identities, persistence, errors.
// Imported exactly as users import it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DagsyncError, Doc } from "dagsync";

const isDagsyncError = (code) => (err) =>
  err instanceof DagsyncError && err instanceof Error && err.code === code;

test("a new document has a fresh ed25519 identity; a secret key gives a fixed one", () => {
  const a = new Doc();
  const b = new Doc();
  assert.match(a.actor, /^[0-9a-f]{64}$/);
  assert.notEqual(a.actor, b.actor);
  const key = "07".repeat(32);
  assert.equal(new Doc({ secretKey: key }).actor, new Doc({ secretKey: key }).actor);
  assert.notEqual(new Doc({ secretKey: key }).actor, new Doc({ secretKey: "08".repeat(32) }).actor);
  assert.match(new Doc({}).actor, /^[0-9a-f]{64}$/);
  for (const bad of [{ secretKey: "zz" }, { secretKey: "07".repeat(31) }, { secretKey: 7 }, 5, "key"]) {
    assert.throws(() => new Doc(bad), isDagsyncError("invalid-argument"), String(bad));
  }
});

test("a document round-trips through save and load with its history", () => {
  const doc = new Doc();
  doc.getMap("meta").set("title", "Notes");
  doc.getText("body").insert(0, "🦀 ünïcödé");
  doc.getCounter("n").increment(3);
  const hash = doc.commit("first");
  const bytes = doc.save();
  assert.ok(bytes instanceof Uint8Array);

  const loaded = Doc.load(bytes);
  assert.notEqual(loaded.actor, doc.actor);
  assert.deepEqual(loaded.toJSON(), doc.toJSON());
  assert.deepEqual(loaded.toJSON(), { body: "🦀 ünïcödé", meta: { title: "Notes" }, n: 3n });
  assert.deepEqual(loaded.heads(), [hash]);
  assert.deepEqual(loaded.history(), doc.history());
  assert.deepEqual(loaded.save(), bytes);
});

test("commit returns the change hash, or undefined when nothing is pending", () => {
  const doc = new Doc();
  assert.equal(doc.commit(), undefined);
  assert.deepEqual(doc.heads(), []);
  doc.getText("t").insert(0, "a");
  const first = doc.commit();
  assert.match(first, /^[0-9a-f]{64}$/);
  assert.deepEqual(doc.heads(), [first]);
  assert.equal(doc.commit("nothing new"), undefined);
  doc.getText("t").insert(1, "b");
  const second = doc.commit("second");
  assert.notEqual(second, first);
  const history = doc.history();
  assert.deepEqual(
    history.map((e) => [e.hash, e.seq, e.deps, e.message, e.actor]),
    [
      [first, 1, [], undefined, doc.actor],
      [second, 2, [first], "second", doc.actor],
    ],
  );
  assert.ok(history.every((e) => typeof e.time === "number" && e.time > 1.6e12));
});

test("heads of concurrent edits are sorted", () => {
  const a = new Doc();
  a.getText("t").insert(0, "x");
  a.commit();
  const b = a.fork();
  a.getText("t").insert(1, "a");
  const ha = a.commit();
  b.getText("t").insert(0, "b");
  const hb = b.commit();
  a.merge(b);
  assert.deepEqual(a.heads(), [ha, hb].sort());
});

test("corrupt bytes throw a DagsyncError with a code", () => {
  const doc = new Doc();
  doc.getMap("m").set("k", "v");
  const bytes = doc.save();
  for (let i = 0; i < bytes.length; i++) {
    const broken = bytes.slice();
    broken[i] ^= 0x40;
    assert.throws(
      () => Doc.load(broken),
      (err) => err instanceof DagsyncError && ["corrupt", "unsupported", "bad-hash"].includes(err.code),
      `flipping byte ${i}`,
    );
  }
  assert.throws(() => Doc.load(new Uint8Array()), { name: "DagsyncError", code: "corrupt" });
  assert.throws(() => doc.importChanges(new Uint8Array([1, 2, 3])), isDagsyncError("corrupt"));
});

test("a wrong argument throws and leaves the document unchanged", () => {
  const doc = new Doc();
  const map = doc.getMap("m");
  map.set("k", "kept");
  const before = doc.save();
  const cyclic = {};
  cyclic.self = cyclic;
  for (const bad of [undefined, () => 1, Symbol("s"), new Date(), new Map(), [undefined], { a: undefined }, cyclic, 2n ** 64n]) {
    assert.throws(() => map.set("k", bad), isDagsyncError("invalid-argument"), String(typeof bad));
  }
  assert.throws(() => doc.getText("t").insert(-1, "x"), isDagsyncError("out-of-range"));
  assert.throws(() => doc.getText("t").insert(1.5, "x"), isDagsyncError("out-of-range"));
  assert.throws(() => doc.getText("t").insert(NaN, "x"), isDagsyncError("out-of-range"));
  assert.throws(() => doc.getText("t").insert(1, "x"), isDagsyncError("out-of-range"));
  assert.throws(() => map.setContainer("c", "tree"), isDagsyncError("invalid-argument"));
  assert.throws(() => doc.getCounter("c").increment(0.5), isDagsyncError("invalid-argument"));
  assert.throws(() => doc.view(["nothex"]), isDagsyncError("invalid-argument"));
  assert.throws(() => doc.view(["ab".repeat(32)]), isDagsyncError("unknown-change"));
  assert.throws(() => doc.exportChanges(["ab".repeat(32)]), isDagsyncError("unknown-change"));
  assert.equal(map.get("k"), "kept");
  assert.deepEqual(doc.save(), before);
});

test("arguments of the wrong type throw DagsyncError instead of corrupting memory", () => {
  const doc = new Doc();
  const text = doc.getText("t");
  text.insert(0, "kept");
  const invalid = isDagsyncError("invalid-argument");
  assert.throws(() => doc.getText(5), invalid);
  assert.throws(() => doc.getMap({}), invalid);
  assert.throws(() => text.insert(0, 5), invalid);
  assert.throws(() => text.insert(0n, "x"), isDagsyncError("out-of-range"));
  assert.throws(() => text.insert("0", "x"), isDagsyncError("out-of-range"));
  assert.throws(() => doc.getMap("m").set(5, 1), invalid);
  assert.throws(() => doc.getMap("m").get(null), invalid);
  assert.throws(() => doc.getList("l").get("1"), isDagsyncError("out-of-range"));
  assert.throws(() => doc.commit(42), invalid);
  assert.throws(() => doc.subscribe(5), invalid);
  assert.throws(() => doc.subscribeLocalUpdates("f"), invalid);
  assert.throws(() => doc.view("abc"), invalid);
  assert.throws(() => doc.view(5), invalid);
  assert.throws(() => doc.view([1, 2]), invalid);
  assert.throws(() => doc.forkAt({}), invalid);
  assert.throws(() => doc.exportChanges("x"), invalid);
  assert.throws(() => doc.importChanges("abc"), invalid);
  assert.throws(() => doc.importChanges([1, 2, 3]), invalid);
  assert.throws(() => Doc.load({ length: 1e12 }), invalid);
  assert.equal(text.toString(), "kept");
  assert.deepEqual(doc.toJSON(), { t: "kept" });
});

test("a listener may read the document; unsubscribing (even twice) stops events", () => {
  const doc = new Doc();
  const seen = [];
  const unsubscribe = doc.subscribe(() => seen.push(doc.getText("t").toString()));
  doc.getText("t").insert(0, "hi");
  doc.commit();
  assert.deepEqual(seen, ["hi"]);
  unsubscribe();
  unsubscribe();
  doc.getText("t").insert(2, "!");
  doc.commit();
  assert.deepEqual(seen, ["hi"]);
});

test("a root's handle is one object per name and kind, and outlives the Doc object", () => {
  const doc = new Doc();
  const text = doc.getText("t");
  assert.equal(doc.getText("t"), text, "the same object again");
  assert.notEqual(doc.getList("t"), text, "another kind, another root");
  assert.notEqual(doc.getText("u"), text);
  text.insert(0, "x");
  doc.commit();
  // A freed handle is not handed out again.
  const list = doc.getList("l");
  list.free();
  const again = doc.getList("l");
  assert.notEqual(again, list);
  again.push(1);
  assert.equal(again.length, 1);
  // Freeing the Doc object releases its cache; handles in use keep the document alive.
  doc.free();
  text.insert(1, "y");
  assert.equal(text.toString(), "xy");
});
