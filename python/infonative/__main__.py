"""`python -m infonative`: a short demo on built-in (seeded, synthetic) data."""

from .demo import main

main()
