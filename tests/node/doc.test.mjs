// Node tests of the built npm package (pkg/), imported exactly as users import it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DagsyncError, Doc } from "dagsync";

test("a document round-trips through save and load", () => {
  const doc = new Doc();
  assert.match(doc.actor, /^[0-9a-f]{64}$/);
  const meta = doc.getMap("meta");
  meta.set("title", "Notes");
  meta.set("emoji", "🦀 ünïcödé");
  const bytes = doc.save();
  assert.ok(bytes instanceof Uint8Array);

  const loaded = Doc.load(bytes);
  assert.notEqual(loaded.actor, doc.actor);
  const copy = loaded.getMap("meta");
  assert.equal(copy.get("title"), "Notes");
  assert.equal(copy.get("emoji"), "🦀 ünïcödé");
  assert.equal(copy.get("missing"), undefined);
  assert.deepEqual(copy.keys(), ["emoji", "title"]);
  assert.deepEqual(copy.toJSON(), { emoji: "🦀 ünïcödé", title: "Notes" });
  assert.deepEqual(loaded.save(), bytes);
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
      (err) => err instanceof DagsyncError && err instanceof Error && err.code === "corrupt",
      `flipping byte ${i}`,
    );
  }
  assert.throws(() => Doc.load(new Uint8Array()), { name: "DagsyncError", code: "corrupt" });
});

test("a wrong argument throws and leaves the document unchanged", () => {
  const doc = new Doc();
  const map = doc.getMap("m");
  map.set("k", "kept");
  const before = doc.save();
  for (const bad of [1, null, undefined, {}, ["x"]]) {
    assert.throws(() => map.set("k", bad), { name: "DagsyncError", code: "invalid-argument" });
  }
  assert.equal(map.get("k"), "kept");
  assert.deepEqual(doc.save(), before);
});
