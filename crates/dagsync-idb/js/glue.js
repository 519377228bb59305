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
