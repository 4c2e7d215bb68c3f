"""Offline stand-in for the get-pip script ansible-test downloads.

ansible-test bootstraps pip into each empty sanity virtualenv by running
``get_pip_<version>.py`` from ~/.ansible/test/cache, which it downloads from a
host that is not reachable from every CI machine. It runs the script as
``python get_pip.py [pip options] pip==X.Y [--no-setuptools] [--no-wheel]``.
This stand-in does the same job with the interpreter's own ensurepip, then lets
that pip install the requested packages.
"""

import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
