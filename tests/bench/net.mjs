// The network bench (issue 9): repos in headless Chromium tabs syncing over the package's
// networks. Prints numbers, asserts nothing.
//
//   ./x bench-net     (builds the test page in release, runs this in a network namespace)
//
// 1. Two tabs, each with 10k one-character changes made while disconnected: time from the
//    reconnect call to both tabs holding all 20k (WebRTC reconnection included).
// 2. Edit propagation between two connected tabs: one tab appends `q<i>;`, the other answers
//    `r<i>;` as soon as it sees it; one-way latency from the tabs' shared clock, and the round
//    trip. 200 edits, one at a time.
// 3. The most peers one tab holds: a hub tab with N WebRTC links (one room each) to N peers in a
//    second tab; time until all are connected and a hub edit reached every peer. N grows until
//    a step fails or takes over 60 s.
// 4. 50 peers in one tab in a ring (each linked to two neighbours only, so edits travel up to
//    25 hops): time until every peer holds every peer's edit.
//
// BENCH_PARTS=divergence,latency,star,ring picks parts; BENCH_STAR=25,50,... the hub sizes.
// The page runs crates/dagsync-testpeer (the core Repo over BroadcastChannelNetwork /
// WebRtcNetwork). Times are wall-clock milliseconds of one run.
import { readFileSync } from "node:fs";
import os from "node:os";
import { chromium } from "playwright-core";
import { openPage, startHarness } from "../e2e/net/harness.mjs";

const N = Number(process.env.BENCH_CHANGES ?? 10_000);
const args = JSON.parse(readFileSync(new URL("../../webdriver.json", import.meta.url)))[
  "goog:chromeOptions"
].args;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args });
const harness = await startHarness();
const context = await browser.newContext();
const parts = new Set((process.env.BENCH_PARTS ?? "divergence,latency,star,ring").split(","));
const room = (name) => `${name}-${Math.random().toString(36).slice(2)}`;
const kinds = {
  webrtc: () => ({ webrtc: { room: room("rtc") } }),
  broadcast: () => ({ broadcast: room("bc") }),
};

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const ms = (x) => x.toFixed(1);

/** Two tabs running one repo each over the network `spec` describes. */
async function twoTabs(spec) {
  const tabs = [await openPage(context, harness), await openPage(context, harness)];
  for (const tab of tabs) await tab.evaluate((spec) => window.startPeer([spec]), spec);
  const id = await tabs[0].evaluate(() => {
    const id = window.peer.create();
    window.peer.append(id, "start;");
    return id;
  });
  await tabs[1].waitForFunction((id) => window.holds(id, ["start;"]), id, { timeout: 30_000 });
  return { tabs, id };
}

async function divergence(kind) {
  const { tabs, id } = await twoTabs(kinds[kind]());
  const [a, b] = tabs;
  for (const tab of tabs) await tab.evaluate(() => window.peer.disconnect());
  const edit = async (tab, ch) => {
    const t = Date.now();
    await tab.evaluate(([id, n, ch]) => window.peer.appendMany(id, n, ch), [id, N, ch]);
    return Date.now() - t;
  };
  const editA = await edit(a, "a");
  const editB = await edit(b, "b");
  const target = "start;".length + 2 * N;
  for (const tab of tabs) await tab.evaluate(([id, n]) => window.armLength(id, n), [id, target]);
  const t0 = await a.evaluate(() => {
    const t = performance.timeOrigin + performance.now();
    window.peer.reconnect();
    return t;
  });
  await b.evaluate(() => window.peer.reconnect());
  for (const tab of tabs) await tab.waitForFunction(() => window.doneAt !== undefined, null, { timeout: 120_000 });
  const done = Math.max(...(await Promise.all(tabs.map((t) => t.evaluate(() => window.doneAt)))));
  const [ta, tb] = await Promise.all(tabs.map((t) => t.evaluate((id) => window.peer.text(id), id)));
  const traffic = await a.evaluate(() => window.peer.traffic());
  for (const tab of tabs) await tab.close();
  return { converge: done - t0, editA, editB, same: ta === tb && ta.length === target, traffic };
}

async function latency(kind, count = 200) {
  const { tabs, id } = await twoTabs(kinds[kind]());
  const [a, b] = tabs;
  await b.evaluate((id) => window.echo(id), id);
  const { sent, rtts } = await a.evaluate(([id, n]) => window.ask(id, n), [id, count]);
  const arrivals = await b.evaluate(() => window.arrivals);
  for (const tab of tabs) await tab.close();
  const oneWay = arrivals.map((t, i) => t - sent[i]).sort((x, y) => x - y);
  rtts.sort((x, y) => x - y);
  return { oneWay, rtts };
}

async function star(n) {
  const rooms = Array.from({ length: n }, (_, i) => room(`star${i}`));
  const hub = await openPage(context, harness);
  const leaves = await openPage(context, harness);
  const t0 = Date.now();
  await leaves.evaluate((rooms) => window.startPeers(rooms.map((r) => [{ webrtc: { room: r } }])), rooms);
  await hub.evaluate((rooms) => window.startPeer(rooms.map((r) => ({ webrtc: { room: r } }))), rooms);
  try {
    await hub.waitForFunction((n) => window.peer.peers === n, n, { timeout: 60_000 });
    const connected = Date.now() - t0;
    const id = await hub.evaluate(() => {
      const id = window.peer.create();
      window.peer.append(id, "hub;");
      return id;
    });
    const t1 = Date.now();
    await leaves.waitForFunction(
      (id) => window.many.every((p) => (p.text(id) ?? "").includes("hub;")),
      id,
      { timeout: 60_000 },
    );
    return { ok: true, connected, reached: Date.now() - t1 };
  } catch (e) {
    const peers = await hub.evaluate(() => window.peer.peers).catch(() => -1);
    return { ok: false, peers, error: String(e).split("\n")[0] };
  } finally {
    await hub.close();
    await leaves.close();
  }
}

async function ring(n) {
  const rooms = Array.from({ length: n }, (_, i) => room(`ring${i}`));
  const tab = await openPage(context, harness);
  const t0 = Date.now();
  await tab.evaluate(
    (rooms) =>
      window.startPeers(
        rooms.map((r, i) => [{ webrtc: { room: r } }, { webrtc: { room: rooms[(i + 1) % rooms.length] } }]),
      ),
    rooms,
  );
  await tab.waitForFunction(() => window.many.every((p) => p.peers === 2), null, { timeout: 120_000 });
  const connected = Date.now() - t0;
  const t1 = Date.now();
  await tab.evaluate(() => {
    const id = window.many[0].create();
    window.id = id;
    window.many.forEach((p, i) => p.append(id, `<${i}>`));
  });
  await tab.waitForFunction(
    () => {
      const parts = window.many.map((_, i) => `<${i}>`);
      return window.many.every((p) => parts.every((part) => (p.text(window.id) ?? "").includes(part)));
    },
    null,
    { timeout: 120_000, polling: 20 },
  );
  const converged = Date.now() - t1;
  await tab.close();
  return { connected, converged };
}

console.log(`# network bench — ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${browser.version()} headless`);
if (parts.has("divergence")) {
  console.log(`\n## ${N} vs ${N} changes made while disconnected, then reconnect (two tabs)\n`);
  console.log("| network | converge after reconnect (ms) | making 10k changes, tab A / B (ms) | frames / bytes sent by A | identical |");
  console.log("| --- | ---: | ---: | ---: | --- |");
  for (const kind of ["webrtc", "broadcast"]) {
    const r = await divergence(kind);
    console.log(`| ${kind} | ${ms(r.converge)} | ${r.editA} / ${r.editB} | ${r.traffic[0]} / ${r.traffic[1]} | ${r.same} |`);
  }
}

if (parts.has("latency")) {
  console.log("\n## Edit propagation between two tabs (200 edits, one at a time)\n");
  console.log("| network | one-way p50 (ms) | one-way p95 (ms) | one-way max (ms) | round trip p50 / p95 (ms) |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const kind of ["webrtc", "broadcast"]) {
    const { oneWay, rtts } = await latency(kind);
    console.log(
      `| ${kind} | ${ms(quantile(oneWay, 0.5))} | ${ms(quantile(oneWay, 0.95))} | ${ms(oneWay[oneWay.length - 1])} | ${ms(quantile(rtts, 0.5))} / ${ms(quantile(rtts, 0.95))} |`,
    );
  }
}

if (parts.has("star")) {
  console.log("\n## Peers one tab holds (a hub tab linked over WebRTC to N peers in another tab)\n");
  console.log("| N | all connected (ms) | hub edit reached all (ms) |");
  console.log("| ---: | ---: | ---: |");
  for (const n of (process.env.BENCH_STAR ?? "25,50,100,200,300,400,500,600").split(",").map(Number)) {
    const r = await star(n);
    if (!r.ok) {
      console.log(`| ${n} | failed: ${r.peers} of ${n} connected (${r.error}) | |`);
      break;
    }
    console.log(`| ${n} | ${r.connected} | ${r.reached} |`);
  }
}

if (parts.has("ring")) {
  console.log("\n## 50 peers in one tab, a ring of WebRTC links (transitive: up to 25 hops)\n");
  const r = await ring(50);
  console.log(`all 100 links open: ${r.connected} ms; every peer holds all 50 edits: ${r.converged} ms`);
}

await context.close();
await browser.close();
await harness.stop();
