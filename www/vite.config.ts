import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import wasm from "vite-plugin-wasm";

// The `dagsync` package is wasm-pack's bundler build: vite-plugin-wasm instantiates its .wasm
// import, and an ES2022 target allows the top-level await that instantiation needs.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [wasm()],
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  server: { host: "127.0.0.1" },
});
