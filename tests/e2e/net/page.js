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

/** Starts `window.many`, one repo per entry of `specLists` (each a list of network specs). */
window.startPeers = (specLists) => {
  window.many = specLists.map((specs) => new dagsync.TestPeer(specs.map(network)));
};

/** Milliseconds on a clock shared by the tabs of one browser. */
const clock = () => performance.timeOrigin + performance.now();

/** Records in `window.doneAt` when the text of `id` first reaches `length` (bench). */
window.armLength = (id, length) => {
  window.doneAt = undefined;
  window.peer.onChange(() => {
    if (window.doneAt === undefined && (window.peer.text(id) ?? "").length >= length) {
      window.doneAt = clock();
    }
  });
};

/** Answers each `q<i>;` of document `id` with `r<i>;`, noting when each question arrived. */
window.echo = (id) => {
  let next = 0;
  window.arrivals = [];
  window.peer.onChange(() => {
    const text = window.peer.text(id) ?? "";
    while (text.includes(`q${next};`)) {
      window.arrivals.push(clock());
      window.peer.append(id, `r${next};`);
      next++;
    }
  });
};

/** Asks `count` questions of the echoing tab, one at a time: resolves to the send times and
 * the round-trip times. */
window.ask = (id, count) =>
  new Promise((resolve) => {
    const sent = [];
    const rtts = [];
    let i = 0;
    const send = () => {
      sent.push(clock());
      window.peer.append(id, `q${i};`);
    };
    window.peer.onChange(() => {
      if (i < count && (window.peer.text(id) ?? "").includes(`r${i};`)) {
        rtts.push(clock() - sent[i]);
        i++;
        if (i === count) resolve({ sent, rtts });
        else setTimeout(send, 5);
      }
    });
    send();
  });

window.ready = true;
