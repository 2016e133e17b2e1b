"""``python -m participatie`` runs the command line."""

from participatie.cli import main

main()
