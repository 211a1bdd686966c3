"""Lets ``python -m hookline`` behave as the ``hookline`` command."""

from hookline.cli import main

main()
