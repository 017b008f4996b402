/* Starts Swagger UI on /api/docs/ (templates/api/docs.html). A static file, so the page needs no inline
   script and keeps the project's strict CSP. The schema URL comes from the page's data attribute. */
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }

  // "Try it out" from a signed-in portal session needs Django's CSRF token on unsafe methods.
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  window.ui = window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
    plugins: [window.SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      const token = csrfToken();
      const sameOrigin = new URL(request.url, window.location.href).origin === window.location.origin;
      if (token && sameOrigin && !/^(GET|HEAD|OPTIONS)$/i.test(request.method || "GET")) {
        request.headers["X-CSRFToken"] = token;
      }
      return request;
    },
  });
})();
