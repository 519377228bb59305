// The notebook demo (www/) in Chromium, served by `dagsync-signal` (which also relays the WebRTC
// signaling) on a free port of 127.0.0.1: two browser contexts are two devices. Runs inside the
// network namespace of `./x test-e2e`, so WebRTC has a non-loopback interface.
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startSignal, stopSignal, type Signal } from "./net/harness.mjs";

const dist = fileURLToPath(new URL("../../www/dist", import.meta.url));
const artifacts = fileURLToPath(new URL("../artifacts", import.meta.url));

let signal: Signal;
let baseUrl: string;

test.beforeAll(async () => {
  signal = await startSignal(0, dist);
  baseUrl = signal.url.replace(/^ws:/, "http:");
  mkdirSync(artifacts, { recursive: true });
});

test.afterAll(async () => {
  await stopSignal(signal);
});

declare global {
  interface Window {
    notebook: { handle: { flushed(): Promise<void> } };
  }
}

/** Chromium itself logs each refused WebSocket handshake of an offline page as a console error
 * (the signaling connection being retried); no script can catch or silence it. */
const OFFLINE_SOCKET = /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed: .*net::ERR_INTERNET_DISCONNECTED$/;

/** Console errors and page errors of every page of `context`. */
function watch(context: BrowserContext, problems: string[]): void {
  context.on("page", (page) => {
    page.on("console", (msg) => {
      if (msg.type() === "error" && !OFFLINE_SOCKET.test(msg.text())) {
        problems.push(`${page.url()}: ${msg.text()}`);
      }
    });
    page.on("pageerror", (err) => problems.push(`${page.url()}: ${err.message}`));
  });
}

async function open(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true");
  return page;
}

async function device(browser: Browser, problems: string[]): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  watch(context, problems);
  return context;
}

/** Types `text` at the end of the note body. */
async function typeAtEnd(page: Page, text: string): Promise<void> {
  const body = page.getByLabel("Body");
  await body.focus();
  await body.press("Control+End");
  await body.pressSequentially(text);
}

test("two devices write one note over WebRTC (carets, undo); one goes offline, reloads from the service worker, and syncs back", async ({ browser }) => {
  const problems: string[] = [];
  const a = await device(browser, problems);
  const b = await device(browser, problems);

  // Device A starts a notebook: the URL hash names it.
  const pageA = await open(a, baseUrl);
  const url = pageA.url();
  expect(url).toMatch(/#[0-9a-f]{32}$/);
  await pageA.getByLabel("Notebook name").fill("Trip to Lisbon");
  await pageA.getByLabel("Notebook name").press("Enter");
  await pageA.getByLabel("Your name").fill("Ada");
  await pageA.getByLabel("Your name").press("Enter");
  await pageA.getByRole("button", { name: "+ New" }).click();
  await pageA.getByLabel("Title").fill("Packing list");
  await typeAtEnd(pageA, "Passport, charger, sunscreen.");
  await pageA.getByLabel("Add tag").fill("travel");
  await pageA.getByLabel("Add tag").press("Enter");

  // Device B opens the shared link and gets the notebook over WebRTC.
  const pageB = await open(b, url);
  await pageB.getByLabel("Your name").fill("Grace");
  await pageB.getByLabel("Your name").press("Enter");
  await expect(pageA.getByTestId("sync-status")).toHaveText("Live · 1 device", { timeout: 20_000 });
  await expect(pageB.getByTestId("sync-status")).toHaveText("Live · 1 device", { timeout: 20_000 });
  await expect(pageB.getByTestId("note-list")).toContainText("Packing list", { timeout: 10_000 });
  await pageB.getByTestId("note-list").getByText("Packing list").click();
  await expect(pageB.getByLabel("Body")).toHaveValue("Passport, charger, sunscreen.");
  await expect(pageB.getByTestId("peer-list")).toContainText("Ada");
  await expect(pageA.getByTestId("peer-list")).toContainText("Grace");

  // Each sees the other's typing within 2 s.
  // (An emoji is two UTF-16 code units: edits around it never split the pair.)
  await typeAtEnd(pageA, " Camera 📷.");
  await expect(pageB.getByLabel("Body")).toHaveValue(/Camera 📷\.$/, { timeout: 2_000 });
  await typeAtEnd(pageB, " Swimsuit!");
  await expect(pageA.getByLabel("Body")).toHaveValue(/Camera 📷\. Swimsuit!$/, { timeout: 2_000 });

  // A remote insert before A's selection moves the selection with the text it covers.
  await pageA.getByLabel("Body").evaluate((el: HTMLTextAreaElement) => {
    el.focus();
    el.setSelectionRange(10, 17); // "charger"
  });
  await pageB.getByLabel("Body").evaluate((el: HTMLTextAreaElement) => el.focus());
  await pageB.getByLabel("Body").press("Control+Home");
  await pageB.keyboard.type("Tickets, ");
  await expect(pageA.getByLabel("Body")).toHaveValue(/^Tickets, Passport/, { timeout: 2_000 });
  const selected = await pageA.getByLabel("Body").evaluate((el: HTMLTextAreaElement) =>
    el.value.slice(el.selectionStart, el.selectionEnd),
  );
  expect(selected).toBe("charger");
  await pageA.getByRole("button", { name: "Like" }).click();
  await expect(pageB.getByRole("button", { name: "Like" })).toContainText("1");

  // Presence: B's caret shows in A's note body with B's name and colour, at B's position, and
  // stays on the same character when A inserts before it.
  await pageB.getByLabel("Body").evaluate((el: HTMLTextAreaElement) => {
    el.focus();
    el.setSelectionRange(9, 9); // after "Tickets, "
  });
  const caret = pageA.getByTestId("remote-caret");
  await expect(caret).toHaveAttribute("data-index", "9", { timeout: 2_000 });
  await expect(caret).toContainText("Grace");
  await pageA.getByLabel("Body").evaluate((el: HTMLTextAreaElement) => {
    el.focus();
    el.setSelectionRange(0, 0);
  });
  await pageA.keyboard.type(">> ");
  await expect(pageB.getByLabel("Body")).toHaveValue(/^>> Tickets, /, { timeout: 2_000 });
  await expect(caret).toHaveAttribute("data-index", "12", { timeout: 2_000 });
  const [mark, field] = await Promise.all([caret.boundingBox(), pageA.getByLabel("Body").boundingBox()]);
  expect(mark!.y).toBeGreaterThan(field!.y);
  expect(mark!.y).toBeLessThan(field!.y + 60); // the first line
  expect(mark!.x).toBeGreaterThan(field!.x + 80); // right of ">> Tickets,"
  await expect(pageB.getByTestId("remote-caret")).toContainText("Ada");

  // Undo and redo (Ctrl+Z, Ctrl+Shift+Z) take back A's own typing only; B sees both.
  await pageA.keyboard.press("Control+z");
  await expect(pageA.getByLabel("Body")).toHaveValue(/^Tickets, Passport/);
  await expect(pageB.getByLabel("Body")).toHaveValue(/^Tickets, Passport/, { timeout: 2_000 });
  await pageA.keyboard.press("Control+Shift+z");
  await expect(pageB.getByLabel("Body")).toHaveValue(/^>> Tickets, Passport/, { timeout: 2_000 });

  // Screenshots of the notebook and of the history panel (once the "ready offline" toast is gone).
  await expect(pageA.getByRole("alert")).toBeHidden({ timeout: 5_000 });
  await pageA.screenshot({ path: `${artifacts}/notebook.png` });
  await pageA.getByRole("tab", { name: "History" }).click();
  await expect(pageA.getByTestId("dag").locator("circle").first()).toBeVisible();
  const slider = pageA.getByTestId("time-slider");
  const max = Number(await slider.getAttribute("max"));
  expect(max).toBeGreaterThan(3);
  await slider.fill(String(Math.ceil(max / 2)));
  await expect(pageA.getByTestId("time-label")).toContainText(`Version ${Math.ceil(max / 2)} of ${max}`);
  await pageA.screenshot({ path: `${artifacts}/history.png` });
  await pageA.getByRole("tab", { name: "People" }).click();

  // The service worker controls A once it is ready; then A goes offline and reloads.
  await pageA.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await pageA.reload();
  await expect(pageA.locator("body")).toHaveAttribute("data-ready", "true");
  expect(await pageA.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await a.setOffline(true);
  await pageA.reload();
  await expect(pageA.locator("body")).toHaveAttribute("data-ready", "true");
  await expect(pageA.getByTestId("sync-status")).toHaveText("Offline · saved on this device");
  await pageA.getByTestId("note-list").getByText("Packing list").click();
  await typeAtEnd(pageA, " Written offline.");
  await pageA.evaluate(() => window.notebook.handle.flushed());
  await pageA.reload();
  await expect(pageA.locator("body")).toHaveAttribute("data-ready", "true");
  await pageA.getByTestId("note-list").getByText("Packing list").click();
  await expect(pageA.getByLabel("Body")).toHaveValue(/Written offline\.$/);
  await pageA.screenshot({ path: `${artifacts}/offline.png` });
  expect(await pageB.getByLabel("Body").inputValue()).not.toContain("Written offline.");

  // Back online: B receives the offline edit.
  await a.setOffline(false);
  await expect(pageB.getByLabel("Body")).toHaveValue(/Written offline\.$/, { timeout: 20_000 });
  await expect(pageA.getByTestId("sync-status")).toHaveText("Live · 1 device", { timeout: 20_000 });

  await Promise.all([a.close(), b.close()]);
  expect(problems).toEqual([]);
});
