"""The HTTP and WebSocket API (FastAPI): ``create_app`` builds it from a Services bundle."""
