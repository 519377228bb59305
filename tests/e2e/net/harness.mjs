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

/** Serves the page and starts the signaling server: { pageUrl, signalUrl, stop() }. */
export async function startHarness() {
  const { server, url } = await serve(here, 0);
  const signal = spawn(signalBinary(), ["--host", "127.0.0.1", "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const signalUrl = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`dagsync-signal did not start: ${out}`)), 10_000);
    signal.once("error", reject);
    signal.stdout.on("data", (chunk) => {
      out += chunk.toString();
      const match = out.match(/signaling: (ws:\/\/[^\s)]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    pageUrl: url,
    signalUrl,
    async stop() {
      if (signal.exitCode === null) {
        const exited = new Promise((done) => signal.once("exit", done));
        signal.kill("SIGTERM");
        await exited;
      }
      await new Promise((done) => server.close(done));
    },
  };
}

/** Opens the test page in `context` and waits for the driver to load. */
export async function openPage(context, harness) {
  const page = await context.newPage();
  await page.goto(harness.pageUrl);
  await page.waitForFunction(() => window.ready === true);
  return page;
}
