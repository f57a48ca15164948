"""Test harnesses shipped with newsmill, shared by ``tests/`` and ``bench/`` (as ``celery.contrib.testing``
ships with Celery).

- :mod:`newsmill.testing.httpserver`: a real HTTP server on an ephemeral loopback port, with routes as
  plain functions.
- :mod:`newsmill.testing.worker_processes`: real ``newsmill worker`` processes, waited for until they
  answer through the broker, and stopped with their pool children.

Why here: the benchmarks need the same loopback server and worker harness as the tests, and a benchmark
importing ``tests`` depends on a folder that is not a package of the project (and pulls pytest in). The
project's top level is fixed, so the harnesses live in the one core package. They keep its rules: no
pytest import (fixtures that wrap them stay in ``tests/conftest.py``) and no Celery import. The worker
harness only starts processes; by default it asks whether they are consuming with ``newsmill healthcheck``
in a subprocess, the same ping through the broker the container probes use, rather than with a Celery app
of its own (a caller that may import Celery, like ``tests/conftest.py``, can pass a quicker in-process
probe).
"""
