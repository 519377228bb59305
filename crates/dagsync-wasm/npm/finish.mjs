// Turns wasm-pack's outputs into the one `dagsync` npm package in pkg/.
//
//   pkg/           bundler build (wasm-pack --target bundler): the default entry
//   pkg/web/       web build (--target web): `dagsync/web`, and the engine behind the Node entry
//   pkg/core/      the same two builds without the `repo` feature (`Doc`, containers, sync
//                  messages; no Repo, storage or networks): `dagsync/core`, `dagsync/core/web`
//
// It writes the entry points that re-export `DagsyncError` (a wasm-bindgen snippet), the Node
// entry that instantiates the wasm synchronously, and package.json from the crate's Cargo.toml.
// Usage: node crates/dagsync-wasm/npm/finish.mjs <pkg dir>
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = process.argv[2];
if (!pkg) throw new Error("usage: finish.mjs <pkg dir>");

function cargoField(toml, field) {
  const match = toml.match(new RegExp(`^${field}\\s*=\\s*"([^"]*)"`, "m"));
  if (!match) throw new Error(`${field} not found in Cargo.toml`);
  return match[1];
}
const crateToml = readFileSync(join(here, "..", "Cargo.toml"), "utf8");
const workspaceToml = readFileSync(join(here, "..", "..", "..", "Cargo.toml"), "utf8");

/** The snippet folder of `js/errors.js` that wasm-bindgen wrote into `dir` (one folder per
 * crate with snippets, each name carrying a hash: dagsync-wasm's and dagsync-idb's). */
function errorsModule(dir) {
  const folders = readdirSync(join(pkg, dir, "snippets")).filter((folder) =>
    existsSync(join(pkg, dir, "snippets", folder, "js", "errors.js")),
  );
  if (folders.length !== 1) throw new Error(`expected one snippet folder with js/errors.js in ${dir}, got ${folders}`);
  return `./snippets/${folders[0]}/js/errors.js`;
}

function writeEntry(dir, extra = "") {
  const errors = errorsModule(dir);
  writeFileSync(
    join(pkg, dir, "index.js"),
    `export * from "./dagsync.js";\n${extra}export { DagsyncError } from "${errors}";\n`,
  );
  writeFileSync(
    join(pkg, dir, "index.d.ts"),
    `export * from "./dagsync.js";\n${extra}export { DagsyncError, type DagsyncErrorCode } from "./errors.js";\n`,
  );
  copyFileSync(join(here, "errors.d.ts"), join(pkg, dir, "errors.d.ts"));
}

/** The entries of one engine build: `base` holds the bundler build, `base/web` the web build. */
function writeEntries(base) {
  writeEntry(base);
  writeEntry(join(base, "web"), 'export { default } from "./dagsync.js";\n');
  // wasm-pack writes package.json, .gitignore and README.md into every build's folder; only
  // the package root keeps them (its package.json is rewritten below).
  const nested = base === "." ? ["web"] : [base, join(base, "web")];
  for (const dir of nested) {
    for (const leftover of ["package.json", ".gitignore", "README.md"]) {
      rmSync(join(pkg, dir, leftover), { force: true });
    }
  }
  writeFileSync(
    join(pkg, base, "node.js"),
    `// Node entry: instantiates the engine synchronously, so no init() is needed.
import { readFileSync } from "node:fs";
import { initSync } from "./web/dagsync.js";

initSync({ module: readFileSync(new URL("./web/dagsync_bg.wasm", import.meta.url)) });
export * from "./web/dagsync.js";
export { DagsyncError } from "./web/${errorsModule(join(base, "web")).slice(2)}";
`,
  );
}

writeEntries(".");
writeEntries("core");

const manifest = {
  name: "dagsync",
  version: cargoField(workspaceToml, "version"),
  description: cargoField(crateToml, "description"),
  license: cargoField(workspaceToml, "license"),
  type: "module",
  main: "./index.js",
  module: "./index.js",
  types: "./index.d.ts",
  exports: {
    ".": { types: "./index.d.ts", node: "./node.js", default: "./index.js" },
    "./web": { types: "./web/index.d.ts", default: "./web/index.js" },
    "./core": { types: "./core/index.d.ts", node: "./core/node.js", default: "./core/index.js" },
    "./core/web": { types: "./core/web/index.d.ts", default: "./core/web/index.js" },
    "./package.json": "./package.json",
  },
  files: [
    "index.js", "index.d.ts", "errors.d.ts", "node.js",
    "dagsync.js", "dagsync.d.ts", "dagsync_bg.js", "dagsync_bg.wasm", "dagsync_bg.wasm.d.ts",
    "snippets/", "web/", "core/",
  ],
  sideEffects: ["./index.js", "./node.js", "./dagsync.js", "./web/index.js", "./snippets/*",
    "./core/index.js", "./core/node.js", "./core/dagsync.js", "./core/web/index.js", "./core/snippets/*"],
  keywords: ["crdt", "local-first", "sync", "webrtc", "wasm"],
};
writeFileSync(join(pkg, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`pkg: dagsync ${manifest.version} ready in ${pkg}`);
