#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that every README snippet is a file that CI runs.

A fenced code block in README.md that follows a line
    <!-- snippet: examples/c/quickstart.c -->
must equal that file, less its leading '#!' and SPDX lines. CI builds and
runs those files in its example steps, so a snippet that stops working, or
drifts from its file, fails CI. Prints one line per snippet; exits 1 on any
mismatch and when the README names no snippet at all.
"""
import difflib
import re
import sys

MARK = re.compile(r'^<!-- snippet: (\S+) -->\s*$')


def body(path):
    lines = open(path, encoding='utf-8').read().split('\n')
    while lines and (lines[0].startswith('#!') or 'SPDX-License-Identifier' in lines[0]):
        lines.pop(0)
    return '\n'.join(lines).rstrip('\n')


def snippets(readme):
    lines = open(readme, encoding='utf-8').read().split('\n')
    i = 0
    while i < len(lines):
        m = MARK.match(lines[i])
        i += 1
        if not m:
            continue
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].startswith('```'):
            yield m.group(1), None, i
            continue
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].startswith('```'):
            end += 1
        yield m.group(1), '\n'.join(lines[start:end]), start + 1
        i = end + 1


def main(readme='README.md'):
    bad = n = 0
    for path, block, line in snippets(readme):
        n += 1
        if block is None:
            print(f'{readme}:{line}: snippet mark for {path} without a code block')
            bad += 1
            continue
        try:
            want = body(path)
        except OSError as err:
            print(f'{readme}:{line}: {path}: {err.strerror}')
            bad += 1
            continue
        if block != want:
            bad += 1
            print(f'{readme}:{line}: the snippet differs from {path}:')
            sys.stdout.writelines(difflib.unified_diff(
                want.splitlines(True), block.splitlines(True), path, 'README.md'))
            print()
        else:
            print(f'{readme}:{line}: {path}: same')
    if not n:
        print(f'{readme}: no snippet marks')
        return 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
