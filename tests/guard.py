"""A SIGALRM guard for tests of hostile input: a test that hangs fails instead of stalling the suite.

`Hung` is a BaseException, so that no `except Exception` in the scanner can swallow it. The guard bounds a test;
it is never a timed assertion (the benchmark measures speed)."""

import contextlib
import signal


class Hung(BaseException):
    pass


@contextlib.contextmanager
def hang_guard(seconds: int, what: str = "the test"):
    def expired(_signum, _frame):
        raise Hung(f"{what} still running after {seconds} s: something hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
