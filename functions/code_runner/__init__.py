"""The code-runner Lambda: user code (scripts, Python and JavaScript Code) on AWS.

No other function runs user code: the node runner and the API hand each job to this one
(:func:`functions.code_runner.client.invoker`, installed by ``AwsStack`` when
``ORCHEO_CODE_RUNNER_ARN`` is set). Its role grants nothing but its own logs, its
environment names no table, key or queue, and by default it sits in a VPC without NAT
or endpoints (no egress). Firecracker is the boundary; the process sandbox runs inside
it as a second layer (docs/security.md).
"""
