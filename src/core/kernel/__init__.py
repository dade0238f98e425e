"""What several use cases share: ARNs, errors, models, settings, the support matrix, ports."""
