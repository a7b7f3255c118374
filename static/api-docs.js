/* global SwaggerUIBundle -- the vendored Swagger UI bundle, loaded before this file */
// Starts Swagger UI (static/vendor/swagger-ui-bundle-*.js) on /docs, from a file of our own, so the page's
// Content-Security-Policy needs no inline script and nothing is loaded from another site.
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,  // Swagger UI would otherwise send the document to an outside validator
  });
});
