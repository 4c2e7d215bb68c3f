"""Make the checkout importable as ``ansible_collections.netfleet.tcp`` for every test.

The collection lives at the repository root, so a symlink under the ignored
``.tmp/collections`` folder gives Python (and ansible-playbook, through
ANSIBLE_COLLECTIONS_PATH) the ``ansible_collections/netfleet/tcp`` layout it needs.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".tmp", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "netfleet", "tcp")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    try:
        os.symlink(REPO, LINK)
    except FileExistsError:
        pass
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS)
