"""``python -m demo --events`` (and ``copyctl demo --events``): event files replayed through
template.yaml on the emulator; ``runner`` is the entry point."""
