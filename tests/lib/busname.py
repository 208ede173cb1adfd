#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Own a well-known name on a bus and answer method calls (sd-bus replies
to calls nobody handles with an error such as UnknownObject), through
libsystemd with ctypes. Prints "owned" or "denied: REASON".

    busname.py ADDRESS NAME

Runs under the system's python3 too, so a test can start it as another
user."""

import ctypes
import os
import sys


def main():
    address, name = sys.argv[1], sys.argv[2]
    lib = ctypes.CDLL("libsystemd.so.0")
    lib.sd_bus_wait.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
    for f in ("sd_bus_set_address", "sd_bus_request_name"):
        getattr(lib, f).argtypes = [ctypes.c_void_p, ctypes.c_char_p] + ([ctypes.c_uint64] if "name" in f else [])
    for f in ("sd_bus_set_bus_client",):
        getattr(lib, f).argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.sd_bus_start.argtypes = [ctypes.c_void_p]
    lib.sd_bus_process.argtypes = [ctypes.c_void_p, ctypes.c_void_p]

    bus = ctypes.c_void_p()
    r = lib.sd_bus_new(ctypes.byref(bus))
    if r >= 0:
        r = lib.sd_bus_set_address(bus, address.encode())
    if r >= 0:
        r = lib.sd_bus_set_bus_client(bus, 1)
    if r >= 0:
        r = lib.sd_bus_start(bus)
    if r < 0:
        print("connect failed: " + os.strerror(-r), flush=True)
        return 2
    r = lib.sd_bus_request_name(bus, name.encode(), 0)
    if r < 0:
        print("denied: " + os.strerror(-r), flush=True)
        return 1
    print("owned", flush=True)
    while True:
        r = lib.sd_bus_process(bus, None)
        if r < 0:
            return 0
        if r == 0:
            lib.sd_bus_wait(bus, ctypes.c_uint64(2**64 - 1))


if __name__ == "__main__":
    sys.exit(main())
