#!/usr/bin/env python
import sys

from griddesk.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) or 0)
