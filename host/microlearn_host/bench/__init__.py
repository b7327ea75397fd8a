"""`make bench`: models (the bench models), goals (dataset goals and pruning table) and report
(runs everything on the boards and writes docs/benchmarks.md). Uses board/, never the reverse."""
