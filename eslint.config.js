// ESLint (flat config) for the browser code in static/ (not the vendored libraries) and the JS unit tests in
// tests/js/: `npm run lint:js` (part of `make lint`).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/vendor/", ".venv/", "data/", "build/", "dist/", "test-results/"] },
  js.configs.recommended,
  {
    // Parsed as ES modules, which also reads the classic scripts (<script src>) right: a module that the node unit
    // tests import (export/import) and a page script lint alike.
    files: ["static/**/*.js", "static/**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    // Unit tests run under node's test runner (`npm run test:js`); they test browser code, with stand-ins such as
    // fake-indexeddb for IndexedDB, so both sets of globals.
    files: ["tests/js/**/*.mjs", "tests/js/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
