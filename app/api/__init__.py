"""The HTTP face of the engine: routers, schemas, run ids, caching, limits. No math here."""
