"""Pure domain of the copy orchestrator: events, scope, support matrix, decisions, lifecycles.

Nothing in this package imports boto3 or touches the network; adapters do that.
"""
