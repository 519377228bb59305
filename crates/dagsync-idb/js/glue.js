// Browser glue of dagsync-idb that web-sys does not cover conveniently.

/** A promise resolved after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Takes the Web Lock `name` if nobody holds it, and keeps it until the returned function is
 * called; resolves to `null` if another holder (tab or repo) has it. Without Web Locks every
 * request succeeds (nothing to coordinate with). */
export function tryLock(name) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}

/** Takes the Web Lock `name`, waiting for it, and keeps it until the returned function is
 * called. */
export function lock(name) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    locks.request(name, () => new Promise((release) => resolve(() => release()))).catch(reject);
  });
}

/** A random id of 16 hex characters. */
export function randomId() {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Calls `callback` when the page is being hidden or left (`visibilitychange` to hidden,
 * `pagehide`): the last moment a page that is closing reliably runs code. Returns a function
 * that stops listening. Outside a page (workers, Node) nothing is listened to. */
export function onPageHide(callback) {
  const doc = globalThis.document;
  const target = typeof globalThis.addEventListener === "function" ? globalThis : null;
  if (!doc || !target) return () => {};
  const onVisibility = () => {
    if (doc.visibilityState === "hidden") callback();
  };
  doc.addEventListener("visibilitychange", onVisibility);
  target.addEventListener("pagehide", callback);
  return () => {
    doc.removeEventListener("visibilitychange", onVisibility);
    target.removeEventListener("pagehide", callback);
  };
}
