"""``python -m newsmill.schema``: print the article record's JSON Schema generated from its types."""

from __future__ import annotations

import sys

from newsmill.schema import generate, render


def main() -> None:
    sys.stdout.write(render(generate()))


if __name__ == "__main__":
    main()
