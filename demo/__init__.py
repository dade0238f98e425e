"""The demo application: the product run end to end on the local AWS Backup emulator (not
deployed). One command line, ``python -m demo`` (``demo/cli.py``): one simulated day of the
template's plans (``run``, ``day``, ``estate``, ``report``), or, with ``--events``, chosen event
files replayed through the template (``replay/``). ``copyctl demo --events`` calls into it."""
