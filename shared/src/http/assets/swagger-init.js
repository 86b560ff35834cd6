// Starts Swagger UI on /swagger-ui.html. A file of its own, not an inline script: the pages' CSP
// runs only scripts served by this service (shared/src/http/page-security-headers.ts).
'use strict';
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  persistAuthorization: true,
});
