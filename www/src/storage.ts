// A minimal IndexedDB store of one document's saved bytes. The walking skeleton's stand-in for
// the package's IndexedDbStorage.

const DB_NAME = "dagsync-demo";
const STORE = "docs";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

export async function openStore(): Promise<IDBDatabase> {
  const open = indexedDB.open(DB_NAME, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

export async function loadBytes(db: IDBDatabase, id: string): Promise<Uint8Array | undefined> {
  const tx = db.transaction(STORE, "readonly");
  const value: unknown = await request(tx.objectStore(STORE).get(id));
  return value instanceof Uint8Array ? value : undefined;
}

export function saveBytes(db: IDBDatabase, id: string, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(bytes, id);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}
