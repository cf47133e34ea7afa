"""/api/v1: traversal under the ``api`` route, JSON bodies checked by colander, errors in the shape of spec §9
(``plumbing``), the colander pieces every package's API schemas share (``schemas``), and the OpenAPI 3.1
document (``openapi``, ``openapi.json``)."""
