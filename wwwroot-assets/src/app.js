// Poppy Portal browser bundle (built by ../build.mjs into wwwroot/dist/app.js, loaded as
// <script type="module" src="/dist/app.js">). No inline script and no eval anywhere, so the
// page can run under `script-src 'self'`.

// htmx 4: package "module" entry = dist/htmx.esm.js. It creates the instance, sets window.htmx
// itself and reads <meta name="htmx-config"> at construction; it processes the page on its own
// (after DOMContentLoaded, or on the next tick when the document is already parsed).
import htmx from 'htmx.org';

// Server-Sent Events for htmx 4 (registers as extension "sse"; attributes hx-sse:connect,
// hx-sse:close). Extensions are plain scripts that use the global `htmx`, so they must be
// imported after htmx.org (ES modules evaluate in import order).
// Deliberately NOT bundled: dist/ext/hx-csp.js. It is for nonce-based CSPs: it blocks every
// htmx element that lacks an hx-nonce matching a <script nonce> on the page, and with a plain
// `script-src 'self'` policy (no nonces) it would switch htmx off completely.
import 'htmx.org/dist/ext/hx-sse.js';

// Tabler 1.6 (module entry dist/js/tabler.esm.js) bundles Bootstrap 5's JS and Popper and wires
// the data-api on import: data-bs-toggle="dropdown" / "collapse" / "modal" / ... work, also on
// content htmx swaps in later (Bootstrap listens on document).
import * as tabler from '@tabler/core';

window.htmx = htmx; // already done by htmx.esm.js; kept explicit for readers and tests
window.bootstrap = tabler.bootstrap; // Bootstrap's API (Modal, Toast, ...) for code outside this bundle

