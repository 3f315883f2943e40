"""sims-case: open support cases, send them events, read their status, list them."""

from sims_support.cli.main import main

if __name__ == "__main__":
    main()
