#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sum the test cases in meson JSON test logs (meson-logs/<logbase>.json).

Prints 'N passed, N failed' and exits 1 on any failure or when nothing
passed; with --counts prints 'N M' and always exits 0 (.ci/run adds the
numbers to its own). One log line is one meson test:

- a TAP test (cmocka with CMOCKA_MESSAGE_OUTPUT=TAP) counts its 'ok' and
  'not ok' lines; '# SKIP' cases count neither way;
- otherwise cmocka's '[  PASSED  ] n test(s).' / '[  FAILED  ] n test(s)'
  summary lines count;
- otherwise the test counts once, by meson's verdict.

A test meson calls failed (a crash, a sanitizer abort, valgrind's error exit,
a timeout) counts at least one failure even if every case it printed passed.
"""
import json
import re
import sys

CMOCKA_PASSED = re.compile(r'^\[  PASSED  \] (\d+) test\(s\)\.', re.M)
CMOCKA_FAILED = re.compile(r'^\[  FAILED  \] (\d+) test\(s\)', re.M)
TAP_LINE = re.compile(r'^(not ok|ok) \d+[^\n]*', re.M)
TAP_SKIP = re.compile(r'#\s*skip', re.I)
GOOD = ('OK', 'EXPECTEDFAIL')


def count_test(t):
    """(passed, failed) for one meson test record."""
    good = t.get('result', 'ERROR') in GOOD
    out = (t.get('stdout') or '') + '\n' + (t.get('stderr') or '')
    tap = [m for m in TAP_LINE.finditer(out) if not TAP_SKIP.search(m.group(0))]
    if tap:
        p = sum(1 for m in tap if m.group(1) == 'ok')
        f = len(tap) - p
    elif CMOCKA_PASSED.search(out) or CMOCKA_FAILED.search(out):
        p = sum(map(int, CMOCKA_PASSED.findall(out)))
        f = sum(map(int, CMOCKA_FAILED.findall(out)))
    else:
        p, f = int(good), 0
    if not good and f == 0:
        f = 1
    return p, f


def main(argv):
    counts_only = '--counts' in argv
    paths = [a for a in argv if a != '--counts']
    passed = failed = 0
    for path in paths:
        with open(path, errors='replace') as log:
            for line in log:
                if not line.strip():
                    continue
                t = json.loads(line)
                if t.get('result') == 'SKIP':
                    continue
                p, f = count_test(t)
                passed += p
                failed += f
                if f:
                    print(f"{path}: {t.get('name', '?')}: {t.get('result')}, {f} failed",
                          file=sys.stderr)
    if counts_only:
        print(passed, failed)
        return 0
    print(f'{passed} passed, {failed} failed')
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
