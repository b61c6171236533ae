"""`python -m kanal.cli`: how the detached dev supervisor re-executes the command line."""

from kanal.cli.main import main

main()
