import { expect, test, type ConsoleMessage } from "@playwright/test";
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { serve } from "../../www/serve.mjs";

const dist = fileURLToPath(new URL("../../www/dist", import.meta.url));
const artifacts = fileURLToPath(new URL("../artifacts", import.meta.url));

let server: Server;
let baseUrl: string;

test.beforeAll(async () => {
  ({ server, url: baseUrl } = await serve(dist, 0));
  mkdirSync(artifacts, { recursive: true });
});

test.afterAll(async () => {
  await new Promise((done) => server.close(done));
});

test("a value set in the page is persisted in IndexedDB and shown after reload", async ({ page }) => {
  const problems: string[] = [];
  page.on("console", (msg: ConsoleMessage) => {
    if (msg.type() === "error") problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));

  await page.goto(baseUrl);
  await expect(page.getByTestId("status")).toHaveText("New document");
  await expect(page.getByTestId("stored-note")).toHaveText("(nothing yet)");

  const note = "Written in Chromium — ünïcödé ✓";
  await page.getByLabel("Note").fill(note);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("status")).toHaveText(/^Saved \d+ bytes to IndexedDB$/);
  await expect(page.getByTestId("stored-note")).toHaveText(note);

  await page.reload();
  await expect(page.getByTestId("status")).toHaveText(/^Loaded \d+ bytes from IndexedDB$/);
  await expect(page.getByTestId("stored-note")).toHaveText(note);
  await expect(page.getByLabel("Note")).toHaveValue(note);

  await page.screenshot({ path: `${artifacts}/demo-after-reload.png`, fullPage: true });
  expect(problems).toEqual([]);
});
