#!/usr/bin/env python3
"""Prints a few facts about the host as JSON: runs remotely, read locally."""
import json, os, platform, sys

print(json.dumps({
    "host": platform.node(),
    "kernel": platform.release(),
    "python": sys.version.split()[0],
    "load": os.getloadavg()[0],
    "args": sys.argv[1:],
}))
