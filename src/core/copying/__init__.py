"""A completed backup -> one copy job to a key-independent vault, or an explained skip."""
