// The test page of the network tests: the driver's module (a core Repo over the package's
// networks, see crates/dagsync-testpeer) on `window.dagsync`, `window.startPeer(specs)` to
// make one, and `window.ready` once loaded.
import init, * as dagsync from "./pkg/dagsync_testpeer.js";

await init();
window.dagsync = dagsync;

/** A network from its description: { broadcast: room } or { webrtc: WebRtcNetworkOptions }. */
function network(spec) {
  return spec.broadcast !== undefined
    ? new dagsync.BroadcastChannelNetwork(spec.broadcast)
    : new dagsync.WebRtcNetwork(spec.webrtc);
}

/** Starts `window.peer`, a repo over the networks `specs` describe (kept in `window.networks`). */
window.startPeer = (specs) => {
  window.networks = specs.map(network);
  window.peer = new dagsync.TestPeer(window.networks);
};

/** Whether the peer's document `id` holds every one of `parts`. */
window.holds = (id, parts) => {
  const text = window.peer.text(id);
  return text !== undefined && parts.every((p) => text.includes(p));
};

window.ready = true;
