"""sims-case: open support cases, send them events, read their status, list them."""

from sims_support.cli.launch import launch

if __name__ == "__main__":
    launch()
