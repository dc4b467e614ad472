#!/usr/bin/env python3
"""Split `perf trace -i` output of `krill-runtime run` into phases; print a markdown table.

    phases.py krill TRACE.txt...    median/min/max per phase of krill-runtime runs
    phases.py topN TRACE.txt...     any runtime: total, and the N syscalls with the most time

A trace is the text `perf trace -i perf.data` prints for one `perf trace record -- RUNTIME run`
(see profile.sh). Phases are delimited by landmark syscalls of the runtime process and of the
container init, so they follow krill's sequence (docs/architecture.md) and break if it changes.
"""
import re
import statistics
import sys

LINE = re.compile(r'\s*([\d.]+) \(\s*([\d.]*)(?: ms)?\s*\): (\S+)/(\d+) (.*)')


def parse(path):
    events = []
    for line in open(path):
        m = LINE.match(line)
        if not m:
            continue
        t, d = float(m.group(1)), float(m.group(2) or 0)
        rest = m.group(5)
        name = re.search(r'(\w+)\(', rest)
        events.append(dict(t=t, d=d, end=t + d, comm=m.group(3), pid=int(m.group(4)),
                           name=name.group(1) if name else '?', rest=rest,
                           cont='[continued]' in rest))
    return events


def first(events, pred, after=0.0):
    for e in events:
        if e['t'] >= after and pred(e):
            return e
    raise LookupError('landmark not found')


def krill_phases(ev):
    main = next(e['pid'] for e in ev if e['pid'])
    M = [e for e in ev if e['pid'] == main]
    rt = M[0]['comm']  # the runtime's comm; the container process has another after execve
    sp = first(M, lambda e: e['name'] == 'socketpair')
    w4 = first(M, lambda e: e['name'] == 'wait4', sp['t'])
    send1 = first(M, lambda e: e['name'] == 'sendmsg', w4['t'])            # kCgroupReady
    # A syscall that blocked while other processes ran shows up twice (entry, then
    # "[continued]" with the duration); one that did not, once with its duration.
    r1 = first(M, lambda e: e['name'] == 'recvmsg' and e['d'] > 0, send1['t'])  # kRunRuntimeHooks
    send2 = first(M, lambda e: e['name'] == 'sendmsg', r1['end'])          # kHooksDone
    r2 = first(M, lambda e: e['name'] == 'recvmsg' and e['d'] > 0, send2['t'])  # kReady
    conn = first(M, lambda e: e['name'] == 'connect' and e['rest'].rstrip().endswith('= 0'),
                 r2['end'])
    exe = first(ev, lambda e: e['name'] == 'execve' and e['comm'] != rt)
    texit = first(ev, lambda e: e['name'] == 'exit_group' and e['pid'] == exe['pid'])
    reap = first(M, lambda e: e['name'] == 'wait4' and 'NOHANG' in e['rest']
                 and not e['rest'].rstrip().endswith('= 0 (swapper)')
                 and not e['rest'].rstrip().endswith('= 0'), conn['t'])
    end = M[-1]
    rmdirs = [e for e in M if e['name'] == 'rmdir' and e['t'] > reap['t']]
    last_rm = rmdirs[-1] if rmdirs else reap
    attach = [e for e in M if e['name'] == 'write' and w4['t'] < e['t'] < send1['t']]
    return [
        ('exec, dynamic linking, CLI, config parse, state dir + lock, start.sock', sp['t']),
        ('fork setup child, unshare, clone init, init pid back', w4['end'] - sp['t']),
        ('  of which unshare(2)', sum(e['d'] for e in ev if e['name'] == 'unshare')),
        ('cgroups: mkdir, cpuset copy, write init pid to each cgroup.procs', send1['t'] - w4['end']),
        ('  of which the slowest cgroup write (RCU grace period)',
         max((e['d'] for e in attach), default=0.0)),
        ('init: mounts in the rootfs, /dev (until the runtime-hooks point)', r1['end'] - send1['t']),
        ('hooks point -> init ready (pivot_root, masks, caps, ...)', r2['end'] - send2['t']),
        ('runtime: devices cgroup, state.json, pid file, then `start` part', conn['t'] - r2['end']),
        ('  of which fsync(2)', sum(e['d'] for e in M if e['name'] == 'fsync')),
        ('start: connect -> execve', exe['t'] - conn['t']),
        ('container process (/bin/true) runs', texit['t'] - exe['t']),
        ('init exit -> reaped (kernel namespace teardown)', reap['end'] - texit['t']),
        ('delete: freeze/scan/thaw/rmdir the cgroups', last_rm['end'] - reap['end']),
        ('delete: remove state dir, exit', end['t'] - last_rm['end']),
        ('total', end['t']),
    ]


WAITS = ('wait4', 'poll', 'epoll_wait', 'read', 'recvmsg', 'accept4', 'exit_group', 'execve')


def by_syscall(ev):
    """Time per syscall name (all processes), without the calls that wait for the other side."""
    sums = {'total wall time': ev[-1]['t']}
    for e in ev:
        if e['d'] > 0 and e['name'] not in WAITS:
            sums[e['name']] = sums.get(e['name'], 0.0) + e['d']
    return sums


def table(rows_per_trace, keep_order=True):
    rows = {}
    for rows_ in rows_per_trace:
        for k, v in rows_:
            rows.setdefault(k, []).append(v)
    n = len(rows_per_trace)
    print(f'| phase | median ms (n={n}) | min | max |')
    print('|---|---:|---:|---:|')
    for k, vs in rows.items():
        print(f'| {k} | {statistics.median(vs):.2f} | {min(vs):.2f} | {max(vs):.2f} |')


def main():
    mode, paths = sys.argv[1], sys.argv[2:]
    if mode == 'krill':
        rows, bad = [], []
        for p in paths:
            try:
                rows.append(krill_phases(parse(p)))
            except (LookupError, StopIteration, IndexError):
                bad.append(p)
        table(rows)
        if bad:
            print(f'\n({len(bad)} trace(s) without the expected landmarks skipped: {" ".join(bad)})')
    else:
        per = [by_syscall(parse(p)) for p in paths]
        names = {k for d in per for k in d}
        med = {k: statistics.median(d.get(k, 0.0) for d in per) for k in names}
        top = sorted(names, key=lambda k: (k != 'total wall time', -med[k]))[:int(mode[3:] or 10) + 1]
        print(f'| syscall (time inside, summed per run) | median ms (n={len(per)}) |')
        print('|---|---:|')
        for k in top:
            print(f'| {k} | {med[k]:.2f} |')


if __name__ == '__main__':
    main()
