"""A plan compiled in a process of its own (:func:`myotrack.criteria.engine.compile_ahead`).

Run as ``python -m myotrack.criteria.ahead``: reads the pickled (criteria, parameters) on
standard input, writes the pickled :class:`~myotrack.criteria.engine.Compiled` on standard
output, and exits 0; anything else exits non-zero with nothing written (the caller then
compiles the plan itself and says what is wrong).
"""

from __future__ import annotations

import pickle
import signal
import sys


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the caller's to handle
    from myotrack.criteria.engine import compile_sql

    criteria, params = pickle.loads(sys.stdin.buffer.read())  # from our caller
    compiled = compile_sql(criteria, params)
    sys.stdout.buffer.write(pickle.dumps(compiled))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
