"""The scheduled walk of the source vaults: heal what events missed, measure coverage."""
