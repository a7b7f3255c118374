// ESLint (flat config) for the browser scripts in static/ (not the vendored libraries) and the JS unit tests in
// tests/js/: `npm run lint:js` (part of `make lint`).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/vendor/", ".venv/", "data/", "build/", "dist/", "test-results/"] },
  js.configs.recommended,
  {
    // The pages load these as classic scripts (<script src>), in the browser.
    files: ["static/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: { ...globals.browser } },
  },
  {
    // Browser code that the node unit tests import too is an ES module: name it *.mjs (or list it here).
    files: ["static/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    // Unit tests run under node's test runner (`npm run test:js`); they test browser code, with stand-ins such as
    // fake-indexeddb for IndexedDB, so both sets of globals.
    files: ["tests/js/**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
