"""How much a spec may cost to read: the numbers, and why they are these.

Real specs are 1 to 3 KB, nest about 5 levels (an e-mail API body can add a few)
and hold a few hundred values; the largest spec hitl-gen is measured with
(benchmarks/synth.py, 1 000 handoffs) is 1.6 MB, 9 levels and 137 000 values.
The limits sit well above that, and far below what hurts:

- MAX_BYTES: read at most this much, so /dev/zero-like input or a 50 MB file costs
  nothing (read.py);
- MAX_DEPTH: PyYAML's composer and the conversion to Python data recurse once per
  level: thousands of levels overflow Python's stack (RecursionError) or, in
  libyaml's composer, the C stack (a segfault) (yaml_cost.py);
- MAX_NODES: values once aliases are expanded. An alias bomb (each anchor a list of
  aliases of the one before) is a few hundred bytes that expand to billions; at the
  limit, a spec costs under twice the 1 000-handoff one (yaml_cost.py).

No imports: read.py checks the size without loading YAML (an up-to-date build never
parses the spec).
"""

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 250_000
