"""The Orcheo service: the FastAPI app, the local stack and the storage/engine backends.

Imports point one way: ``functions`` uses ``orcheo_core``, never the reverse.
"""
