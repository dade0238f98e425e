"""An operator's new attempt of failed copies (copyctl reconcile --retry-failed)."""
