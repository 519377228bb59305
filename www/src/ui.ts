// Small DOM helpers and the friendly error messages of the notebook.
import { DagsyncError } from "dagsync";

/** "just now", "5 min ago", or a date. */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

export function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing #${id}`);
  return found as T;
}

let toastTimer: number | undefined;

/** Shows a short, friendly message. */
export function toast(message: string, kind: "info" | "error" = "info"): void {
  const box = byId("toast");
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (box.hidden = true), kind === "error" ? 7000 : 3000);
}

/** A friendly sentence for an error (details go to the console as a warning). */
export function friendly(what: string, err: unknown): string {
  console.warn(what, err);
  if (err instanceof DagsyncError) {
    switch (err.code) {
      case "quota-exceeded":
        return `${what}: the browser's storage is full. Free some space; your edits stay in this tab meanwhile.`;
      case "storage-failed":
        return `${what}: this browser could not open its storage (private mode?). Edits are kept only in this tab.`;
      case "invalid-argument":
        return `${what}: that does not look right (${err.message}).`;
      case "network":
        return `${what}: the connection failed. Check the network and try again.`;
      default:
        return `${what} (${err.code}): ${err.message}`;
    }
  }
  return `${what}: ${err instanceof Error ? err.message : String(err)}`;
}

/** A function that runs `fn` once at the next animation frame, however often it is called
 * before then. */
export function everyFrame(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}
