// Starts Swagger UI on /docs from a file, because the site's CSP allows no inline script.
"use strict";
(() => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    deepLinking: true,
    // No calls to the public validator service, and no token kept in localStorage.
    validatorUrl: null,
    persistAuthorization: false,
    showCommonExtensions: true,
  });
})();
