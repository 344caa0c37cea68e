"""Benchmarks: speed and scale of the whole path, side by side with the common design.

Run with `make bench` (full sizes) or `make bench-quick`; `python -m bench --help` lists options.
"""
