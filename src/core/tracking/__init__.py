"""A copy job changed state -> verified key, retry, fallback or alert; stuck copies."""
