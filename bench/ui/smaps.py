#!/usr/bin/env python3
"""Sums a /proc/PID/smaps copy (UIBENCH_SMAPS_DIR) by what the mapping is, largest RSS first.
Usage: bench/ui/smaps.py FILE [FILE2]   (with two files: the growth from the first to the second)"""
import re
import signal
import sys
from collections import defaultdict


signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head


def read(path):
    totals = defaultdict(lambda: defaultdict(int))
    name = None
    with open(path) as f:
        for line in f:
            head = re.match(r'^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$', line)
            if head:
                perms, target = head.groups()
                if target.startswith('/memfd:doublemapper'):
                    # The runtime's W^X memory: executable (JIT'd code, stubs) or not (loader heaps: types, methods).
                    name = 'runtime, ' + ('code (rx)' if 'x' in perms else 'loader heaps (rw)')
                elif target:
                    name = target
                else:
                    name = '[anon ' + perms + ']'
                totals[name]['maps'] += 1
                continue
            rss = re.match(r'^Rss:\s+(\d+) kB', line)
            if rss and name:
                totals[name]['Rss'] += int(rss.group(1))
    return totals


first = read(sys.argv[1])
rows = first
if len(sys.argv) > 2:
    second = read(sys.argv[2])
    rows = {k: {f: second[k][f] - first[k][f] for f in ('Rss', 'maps')} for k in set(first) | set(second)}
total = sum(v['Rss'] for v in rows.values())
print(f'{"RSS MB":>8} {"maps":>5}  mapping   (total {total / 1024:.1f} MB)')
for name, v in sorted(rows.items(), key=lambda kv: -kv[1]['Rss'])[:40]:
    if abs(v['Rss']) >= 256:
        print(f'{v["Rss"] / 1024:8.1f} {v["maps"]:5d}  {name}')
