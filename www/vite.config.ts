import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import wasm from "vite-plugin-wasm";

// The `dagsync` package is wasm-pack's bundler build: vite-plugin-wasm instantiates its .wasm
// import, and an ES2022 target allows the top-level await that instantiation needs.
// vite-plugin-pwa generates the Workbox service worker that precaches the app shell and the
// .wasm, so the notebook loads and edits offline.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [
    wasm(),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: false,
      // The glob below already precaches the icons.
      includeManifestIcons: false,
      manifest: {
        name: "dagsync notebook",
        short_name: "Notebook",
        description: "A local-first collaborative notebook: works offline, syncs peer to peer.",
        theme_color: "#4f46e5",
        background_color: "#f7f7fb",
        display: "standalone",
        start_url: ".",
        scope: ".",
        icons: [
          { src: "icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "icon.svg", sizes: "any", type: "image/svg+xml" },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{js,css,html,wasm,svg,png}"],
        // The engine's .wasm is larger than Workbox's 2 MiB default.
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        navigateFallback: "index.html",
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  server: { host: "127.0.0.1" },
});
