"""``copyctl``: the operator's command line for the backup copy orchestrator."""
