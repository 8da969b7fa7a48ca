"""The CDK app of Orcheo's AWS backend: one stack, one construct per concern.

It refers to the service's code only by asset path and handler string (see
``infra/names.py``): nothing here imports ``functions`` or ``orcheo_core``.
"""
