#!/usr/bin/env python3
"""The durable-write floor of the initial-sync benchmark: copy TREE to DEST the way a sync must land it, every
file written and fsynced (8 at a time, so the file system can commit them together), every directory fsynced
after its entries, nothing hashed, nothing sent. tinysync lands the tree twice this way (the server's chunk store
and device B's folder); `rsync -a` lands it once, in the page cache, with no fsync at all.

Usage: bench/scripts/durable-copy.py TREE DEST [COPIES=2]   (drop the page cache first for a cold read)
"""
import os, sys, time
from concurrent.futures import ThreadPoolExecutor

def copy_tree(src, dst):
    files, dirs = [], []
    for root, _, names in os.walk(src):
        rel = os.path.relpath(root, src)
        target = os.path.normpath(os.path.join(dst, rel))
        os.makedirs(target, exist_ok=True)
        dirs.append(target)
        files += [(os.path.join(root, n), os.path.join(target, n)) for n in names]

    def one(pair):
        s, d = pair
        with open(s, 'rb') as fi, open(d, 'wb') as fo:
            while True:
                b = fi.read(4 << 20)
                if not b:
                    break
                fo.write(b)
            fo.flush()
            os.fsync(fo.fileno())

    def sync_dir(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, files))
        list(pool.map(sync_dir, dirs))
        sync_dir(os.path.dirname(os.path.abspath(dst)))
    return len(files)

def main():
    tree, dest = sys.argv[1], sys.argv[2]
    copies = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    t0 = time.monotonic()
    for i in range(copies):
        n = copy_tree(tree, f"{dest}/copy{i}")
    print(f"{copies} durable copies of {n} files: {time.monotonic() - t0:.2f} s")

if __name__ == "__main__":
    main()
