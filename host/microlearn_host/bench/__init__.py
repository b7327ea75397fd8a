"""`make bench`: models (the bench models), goals (dataset goals and pruning table), runs (what
the sections share: board runs, the m0 clock, goal verdicts) and report (runs everything on the
boards and writes docs/benchmarks.md). Uses board/, never the reverse."""
