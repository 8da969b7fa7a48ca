"""Backends: the ports (``ports.py``) and their implementations (``local/``, later ``aws/``)."""
