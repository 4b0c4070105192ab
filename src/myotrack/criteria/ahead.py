"""A plan compiled in a process of its own (:func:`myotrack.criteria.engine.compile_ahead`).

Run as ``python -P -m myotrack.criteria.ahead FILE``: reads the pickled (criteria,
parameters) on standard input, writes the pickled :class:`~myotrack.criteria.engine.Compiled`
to ``FILE`` (whole or not at all: written beside it, then renamed) and exits 0. Anything else
exits non-zero with nothing written, and the caller compiles the plan itself (and raises
whatever is wrong, if anything is).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from pathlib import Path


def main(target: str) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the caller's to handle
    from myotrack.criteria.engine import compile_sql

    criteria, params = pickle.loads(sys.stdin.buffer.read())  # sent by our caller
    compiled = compile_sql(criteria, params)
    path = Path(target)
    part = path.with_name(path.name + ".part")
    part.write_bytes(pickle.dumps(compiled))
    os.replace(part, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
