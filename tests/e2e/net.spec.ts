// Repos syncing over real RTCPeerConnections in headless Chromium, between browser contexts
// (separate storage: separate devices) through `dagsync-signal` on 127.0.0.1, and between tabs.
// The page runs the test driver (crates/dagsync-testpeer: the core Repo over the package's
// BroadcastChannelNetwork and WebRtcNetwork). Runs inside the network namespace of `./x test-e2e`.
import { expect, test, type Page } from "@playwright/test";
import { openPage, startHarness, type Harness } from "./net/harness.mjs";

let harness: Harness;

test.beforeAll(async () => {
  harness = await startHarness();
});

test.afterAll(async () => {
  await harness.stop();
});

declare global {
  interface Window {
    networks: {
      createOffer(): Promise<string>;
      acceptOffer(offer: string): Promise<string>;
      acceptAnswer(answer: string): Promise<void>;
    }[];
    startPeer(specs: object[]): void;
    holds(id: string, parts: string[]): boolean;
    peer: {
      create(): string;
      append(id: string, text: string): void;
      text(id: string): string | undefined;
      readonly peers: number;
      disconnect(): void;
      reconnect(): void;
    };
  }
}

const room = () => `room-${Math.random().toString(36).slice(2)}`;

async function holds(page: Page, id: string, parts: string[]) {
  await page.waitForFunction(([id, parts]) => window.holds(id, parts), [id, parts] as const, {
    timeout: 20_000,
  });
}

async function peers(page: Page, count: number) {
  await page.waitForFunction((n) => window.peer.peers === n, count, { timeout: 20_000 });
}

/** Two devices in `room`, signaling through the server only. */
async function twoDevices(browser: import("@playwright/test").Browser, name: string) {
  const webrtc = { room: name, signaling: [harness.signalUrl], broadcastChannel: false };
  const contexts = [await browser.newContext(), await browser.newContext()];
  const [a, b] = await Promise.all(contexts.map((c) => openPage(c, harness)));
  for (const page of [a!, b!]) await page.evaluate((webrtc) => window.startPeer([{ webrtc }]), webrtc);
  return { a: a!, b: b!, close: () => Promise.all(contexts.map((c) => c.close())) };
}

test("two devices sync through the signaling server", async ({ browser }) => {
  const { a, b, close } = await twoDevices(browser, room());
  const id = await a.evaluate(() => {
    const id = window.peer.create();
    window.peer.append(id, "from A;");
    return id;
  });
  await holds(b, id, ["from A;"]);
  await b.evaluate((id) => window.peer.append(id, "from B;"), id);
  await holds(a, id, ["from A;", "from B;"]);
  expect(await a.evaluate((id) => window.peer.text(id), id)).toEqual(
    await b.evaluate((id) => window.peer.text(id), id),
  );
  await close();
});

test("a partition between devices heals: edits on both sides converge", async ({ browser }) => {
  const { a, b, close } = await twoDevices(browser, room());
  const id = await a.evaluate(() => {
    const id = window.peer.create();
    window.peer.append(id, "before;");
    return id;
  });
  await holds(b, id, ["before;"]);
  // Channels closed on both sides; each side edits alone.
  for (const page of [a, b]) await page.evaluate(() => window.peer.disconnect());
  await peers(a, 0);
  await peers(b, 0);
  await a.evaluate((id) => { for (let i = 0; i < 50; i++) window.peer.append(id, `a${i};`); }, id);
  await b.evaluate((id) => { for (let i = 0; i < 50; i++) window.peer.append(id, `b${i};`); }, id);
  expect(await b.evaluate((id) => window.holds(id, ["a49;"]), id)).toBe(false);
  // Reconnect through the server: both converge.
  for (const page of [a, b]) await page.evaluate(() => window.peer.reconnect());
  await holds(a, id, ["before;", "a49;", "b49;"]);
  await holds(b, id, ["before;", "a49;", "b49;"]);
  await close();
});

test("a device reconnects to a restarted signaling server and still finds new peers", async ({ browser }) => {
  const webrtc = { room: room(), signaling: [harness.signalUrl], broadcastChannel: false };
  const contexts = [await browser.newContext(), await browser.newContext()];
  const a = await openPage(contexts[0]!, harness);
  await a.evaluate((webrtc) => window.startPeer([{ webrtc }]), webrtc);
  const id = await a.evaluate(() => {
    const id = window.peer.create();
    window.peer.append(id, "from A;");
    return id;
  });
  // The server goes away and comes back: A's connection to it is retried with backoff.
  await harness.restartSignal();
  const b = await openPage(contexts[1]!, harness);
  await b.evaluate((webrtc) => window.startPeer([{ webrtc }]), webrtc);
  await holds(b, id, ["from A;"]);
  await Promise.all(contexts.map((c) => c.close()));
});

test("two devices connect by hand: an offer string and an answer string, no server", async ({ browser }) => {
  const webrtc = { room: room(), broadcastChannel: false };
  const contexts = [await browser.newContext(), await browser.newContext()];
  const [a, b] = await Promise.all(contexts.map((c) => openPage(c, harness)));
  for (const page of [a!, b!]) await page.evaluate((webrtc) => window.startPeer([{ webrtc }]), webrtc);
  // The strings travel however people like (here: through the test).
  const offer = await a!.evaluate(() => window.networks[0]!.createOffer());
  const answer = await b!.evaluate((offer) => window.networks[0]!.acceptOffer(offer), offer);
  await a!.evaluate((answer) => window.networks[0]!.acceptAnswer(answer), answer);
  await peers(a!, 1);
  const id = await a!.evaluate(() => {
    const id = window.peer.create();
    window.peer.append(id, "by hand;");
    return id;
  });
  await holds(b!, id, ["by hand;"]);
  await Promise.all(contexts.map((c) => c.close()));
});

test("tabs sync over BroadcastChannel and over WebRTC signaled between tabs", async ({ browser }) => {
  const context = await browser.newContext();
  for (const spec of [{ broadcast: room() }, { webrtc: { room: room() } }]) {
    const a = await openPage(context, harness);
    const b = await openPage(context, harness);
    for (const page of [a, b]) await page.evaluate((spec) => window.startPeer([spec]), spec);
    const id = await a.evaluate(() => window.peer.create());
    await a.evaluate((id) => window.peer.append(id, "tab A;"), id);
    await b.evaluate((id) => window.peer.append(id, "tab B;"), id);
    await holds(a, id, ["tab A;", "tab B;"]);
    await holds(b, id, ["tab A;", "tab B;"]);
    await a.close();
    await b.close();
  }
  await context.close();
});
