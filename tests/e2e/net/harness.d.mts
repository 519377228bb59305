import type { ChildProcess } from "node:child_process";
import type { BrowserContext, Page } from "@playwright/test";

/** The signaling server binary: $DAGSYNC_SIGNAL, or the debug build in the target folder. */
export function signalBinary(): string;

/** A running `dagsync-signal`. */
export interface Signal {
  process: ChildProcess;
  /** Its signaling URL, ws://127.0.0.1:PORT/ (the same port serves `staticDir` over http). */
  url: string;
}

/** Starts `dagsync-signal` on `port` (0: a free one), serving the folder `staticDir` if given. */
export function startSignal(port: number, staticDir?: string): Promise<Signal>;

/** Stops a server `startSignal` started. */
export function stopSignal(signal: Signal): Promise<void>;

/** The test page served on 127.0.0.1 and `dagsync-signal` on a free port. */
export interface Harness {
  /** The test page's URL. */
  pageUrl: string;
  /** The signaling server (ws://127.0.0.1:PORT/). */
  signalUrl: string;
  /** Stops the signaling server and starts a new one on the same port. */
  restartSignal(): Promise<void>;
  /** Stops the server and the signaling server. */
  stop(): Promise<void>;
}

/** Serves the page and starts the signaling server. */
export function startHarness(): Promise<Harness>;

/** Opens the test page in `context` and waits for the driver to load. */
export function openPage(context: BrowserContext, harness: Harness): Promise<Page>;
