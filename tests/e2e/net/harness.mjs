// Shared by the network tests (tests/e2e/net.spec.ts) and the network bench
// (tests/bench/net.mjs): the test page served on 127.0.0.1, and `dagsync-signal` started on a
// free port (and stopped at the end).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { serve } from "../../../www/serve.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The signaling server binary: $DAGSYNC_SIGNAL, or the debug build in the target folder. */
export function signalBinary() {
  const target =
    process.env.CARGO_TARGET_DIR ?? fileURLToPath(new URL("../../../target", import.meta.url));
  return process.env.DAGSYNC_SIGNAL ?? `${target}/debug/dagsync-signal`;
}

/** Starts `dagsync-signal` on `port` (0: a free one), serving `staticDir` if given; resolves to
 * { process, url } (url: the signaling URL, ws://127.0.0.1:PORT/). */
export async function startSignal(port, staticDir) {
  const args = ["--host", "127.0.0.1", "--port", String(port)];
  if (staticDir) args.push("--static", staticDir);
  const child = spawn(signalBinary(), args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`dagsync-signal did not start: ${out}`)), 10_000);
    child.once("error", reject);
    child.stdout.on("data", (chunk) => {
      out += chunk.toString();
      const match = out.match(/signaling: (ws:\/\/[^\s)]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return { process: child, url };
}

/** Stops a server `startSignal` started. */
export async function stopSignal(signal) {
  if (signal.process.exitCode === null) {
    const exited = new Promise((done) => signal.process.once("exit", done));
    signal.process.kill("SIGTERM");
    await exited;
  }
}

/** Serves the page and starts the signaling server: { pageUrl, signalUrl, restartSignal(),
 * stop() }. */
export async function startHarness() {
  const { server, url } = await serve(here, 0);
  let signal = await startSignal(0);
  const signalUrl = signal.url;
  return {
    pageUrl: url,
    signalUrl,
    /** Stops the signaling server and starts a new one on the same port. */
    async restartSignal() {
      await stopSignal(signal);
      signal = await startSignal(new URL(signalUrl).port);
    },
    async stop() {
      await stopSignal(signal);
      await new Promise((done) => server.close(done));
    },
  };
}

/** Opens the test page in `context` and waits for the driver to load. The page's console
 * errors, uncaught exceptions and failed requests are collected, so a page that never gets
 * ready fails with what went wrong instead of a bare timeout. One CI run saw a page stay
 * unready for the whole test (not reproduced in dozens of local runs): such a page is reloaded
 * once, with a warning naming what it reported, before the test fails. */
export async function openPage(context, harness) {
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`exception: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  for (let attempt = 1; ; attempt++) {
    if (attempt === 1) await page.goto(harness.pageUrl);
    else await page.reload();
    try {
      await page.waitForFunction(() => window.ready === true, null, { timeout: 20_000 });
      return page;
    } catch (e) {
      const report = `test page not ready after 20 s (attempt ${attempt}): ${problems.join("; ") || "no errors reported"}`;
      if (attempt === 2) throw new Error(report, { cause: e });
      console.warn(`${report}; reloading`);
    }
  }
}
