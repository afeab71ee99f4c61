#!/usr/bin/env python3
"""bench/probes: the probe engine's timing error against the packets themselves.

Usage: wire_times.py CAPTURE.pcap PROBE_LOG EDGE_PORT

CAPTURE is tcpdump's capture of the loopback traffic to the edge during ProbeBench's timing run (nanosecond stamps);
PROBE_LOG is ProbeBench's line per probe: "<injected ms> <ok|error> <first byte ms> <total ms> <started, Unix s>".
Each probe opens one connection and sends "GET /probe.txt"; a probe's connection is the first such one whose SYN
follows its start (within 50 ms), so a packet the capture dropped loses one probe, not the pairing. The wire's
own times are: SYN to the first byte the edge sent (first byte), SYN to the last byte the edge sent (total). The error
is what the engine reported less the wire's time: the engine's own work before the SYN and after the last packet
(socket set-up, a thread waking, parsing), with neither the edge's timer slack nor its scheduling in it.
"""
import statistics
import struct
import sys


def packets(path):
    with open(path, 'rb') as f:
        header = f.read(24)
        magic = header[:4]
        endian = '<' if magic in (b'\x4d\x3c\xb2\xa1', b'\xd4\xc3\xb2\xa1') else '>'
        nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
        linktype = struct.unpack(endian + 'I', header[20:24])[0]
        link_header = {1: 14, 113: 16, 276: 20, 0: 4}[linktype]
        while True:
            record = f.read(16)
            if len(record) < 16:
                return
            sec, frac, caplen, _ = struct.unpack(endian + 'IIII', record)
            data = f.read(caplen)
            yield sec + frac / (1e9 if nano else 1e6), data[link_header:]


def segments(path, port):
    """(time, client port, from the client?, SYN without ACK?, payload length, first payload bytes) per TCP packet."""
    for time, ip in packets(path):
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 0x0F) * 4
        total_length = struct.unpack('!H', ip[2:4])[0]
        tcp = ip[ihl:]
        source, destination = struct.unpack('!HH', tcp[:4])
        offset = (tcp[12] >> 4) * 4
        flags = tcp[13]
        payload = total_length - ihl - offset
        from_client = destination == port
        if not from_client and source != port:
            continue
        yield time, source if from_client else destination, from_client, flags & 0x12 == 0x02, payload, tcp[offset:offset + 16]


def connections(path, port):
    """The probe connections in the order they opened: their SYN, the edge's first and last data packet."""
    open_by_port, done = {}, []
    for time, client, from_client, syn, payload, head in segments(path, port):
        if syn:
            open_by_port[client] = {'syn': time, 'request': None, 'first': None, 'last': None}
            done.append(open_by_port[client])
            continue
        c = open_by_port.get(client)
        if c is None or payload == 0:
            continue
        if from_client:
            if c['request'] is None:
                c['request'] = head
        else:
            c['first'] = c['first'] or time
            c['last'] = time
    return [c for c in done if c['request'] is not None and c['request'].startswith(b'GET /probe.txt') and c['last']]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(p / 100 * len(ordered) + 0.5) - 1))]


def main():
    capture, log, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    probes = [line.split() for line in open(log) if line.strip()]
    wire = connections(capture, port)
    groups, unmatched, next_connection = {}, 0, 0
    for injected, outcome, first_byte, total, started in probes:
        started = float(started)
        while next_connection < len(wire) and wire[next_connection]['syn'] < started:
            next_connection += 1
        if next_connection == len(wire) or wire[next_connection]['syn'] > started + 0.05:
            unmatched += 1
            continue
        c = wire[next_connection]
        next_connection += 1
        if outcome != 'ok':
            continue
        g = groups.setdefault(int(injected), {'total': [], 'first': []})
        g['total'].append(float(total) - (c['last'] - c['syn']) * 1000)
        g['first'].append(float(first_byte) - (c['first'] - c['syn']) * 1000)
    for injected in sorted(groups):
        g = groups[injected]
        total = g['total']
        print(f'wire_injected_ms={injected} probes={len(total)} total_error_ms_median={statistics.median(total):.3f} '
              f'total_error_ms_p95={percentile(total, 95):.3f} total_error_ms_max={max(total):.3f} '
              f'total_error_ms_min={min(total):.3f} first_byte_error_ms_median={statistics.median(g["first"]):.3f} '
              f'first_byte_error_ms_p95={percentile(g["first"], 95):.3f}')
    every = [e for g in groups.values() for e in g['total']]
    print(f'wire_all probes={len(every)} unmatched={unmatched} total_abs_error_ms_p95={percentile([abs(e) for e in every], 95):.3f} '
          f'total_abs_error_ms_max={max(abs(e) for e in every):.3f}  (goal: timing error < 2 ms)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
