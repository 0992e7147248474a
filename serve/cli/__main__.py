"""`python -m serve.cli`: the `lucid` command."""

from serve.cli import main

main()
