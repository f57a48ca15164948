"""Large response bodies go back to the operating system when they are freed.

glibc serves a block above ``M_MMAP_THRESHOLD`` (128 KiB) with its own ``mmap`` and unmaps it on free,
but it raises that threshold to the size of every such block freed (up to 32 MiB). After the first
9 MiB page, every later one lands in a thread's arena instead: an io worker has one arena per thread,
growing a body there often means a second copy, and a freed body stays resident. 16 threads on 9 MiB
pages held about 2x the bodies in flight. A fixed threshold (``mallopt`` turns the adjustment off)
keeps bodies above it in their own mappings: grown in place by ``mremap`` and returned on free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

LARGE_BLOCK_BYTES = 1024 * 1024
"""Blocks from 1 MiB up are mapped one by one; ordinary pages (a few hundred KB) stay in the arenas."""

_M_MMAP_THRESHOLD = -3  # from glibc's <malloc.h>


@functools.cache
def map_large_blocks(threshold: int = LARGE_BLOCK_BYTES) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` for this process; False where there is no glibc
    ``mallopt`` (musl, macOS), which changes nothing else."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
