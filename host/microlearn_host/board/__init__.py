"""Everything that talks to a board, real or virtual.

profiles (boards/*.json) -> mpy (precompile device code) -> rawrepl/runner (run scripts on
virtual boards) -> budget (does a model fit), deploy (copy to a real board), device_eval
(a whole dataset split on a board, checked byte for byte). Imports only run down this list.
"""
