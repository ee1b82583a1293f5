"""The REST API's shared pieces: `base` (the viewsets' base, the renderers, one JSON shape
for errors), `auth` (authentication, the role and key-scope check, throttling,
pagination), `input` (what a caller may send), `keys` (API keys), `schema` (the OpenAPI
schema's extensions) and `urls` (the routes of API v1, gathered by app)."""
