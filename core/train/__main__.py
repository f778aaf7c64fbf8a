"""``python -m core.train``: see :mod:`core.train.cli`."""

from __future__ import annotations

from core.train.cli import main

raise SystemExit(main())
