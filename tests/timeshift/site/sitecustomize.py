"""Loaded by every Python child of a test run whose clock is moved (see tests/timeshift)."""

import os

_offset = os.environ.get("SPOKES_TEST_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
