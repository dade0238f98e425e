"""Run the product's Lambda functions locally, as the Lambda service would (not deployed).

- ``invocation``: the context object, SQS records, the partial batch response rule, schedules;
- ``runtime``: ``LambdaRuntime``, SQS event sources polled and delivered to the real handlers
  (the demo's, and the tests' that run the template on the emulator).

Used by ``demo/``, ``tests/`` and ``bench/``; imports the product and the emulator, never tests.
"""
