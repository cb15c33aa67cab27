"""``python -m houselights.cli`` — the same as the ``houselights`` command."""

from houselights.cli.main import main

main()
