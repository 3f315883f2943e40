"""The command line for platform backends, operators and integrators (issue 4).

Until it lands, platform backends call `api.open_case`, `api.send` and `api.case_status`.
"""

import sys


def main() -> None:
    sys.exit("sims-case: the command line is not built yet; use the api module")


if __name__ == "__main__":
    main()
