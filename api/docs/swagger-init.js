// Starts Swagger UI on the docs page. A file the server serves, not an inline script,
// so the page's Content-Security-Policy allows scripts from the server's origin only.
"use strict";
(function () {
  const container = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    domNode: container,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // the default badge is an image from validator.swagger.io
  });
})();
