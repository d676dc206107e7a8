#!/usr/bin/env python3
"""Record Kerberos traffic between a client (kinit) and a KDC on loopback.

A relay: it listens on 127.0.0.1 (UDP and TCP, one port), forwards every message to the real
KDC and the reply back, and writes each message's bytes as a hex file:

    OUT/001-udp-request.hex, OUT/002-udp-reply.hex, OUT/003-tcp-request.hex, ...
    OUT/index.tsv   seq, transport, direction, length, peer

TCP messages are recorded as they travel: with the 4-byte big-endian length prefix of
RFC 4120 section 7.2.2. Hex files hold 32 bytes per line; test code reads them with
tests/support/testdata.hpp read_hex_file() (which skips '#' comment lines).

The relay binds port 0 (or --port), writes the port it got to --port-file once both sockets are
listening, and runs until SIGTERM/SIGINT. Only loopback addresses are accepted for --kdc.

Example:
    scripts/capture-kdc.py --kdc 127.0.0.1:41234 --out /tmp/cap --port-file /tmp/cap/port &
"""

import argparse
import ipaddress
import os
import signal
import socket
import struct
import sys
import threading

MAX_UDP = 65536            # MIT's MAX_DGRAM_SIZE
MAX_TCP_MESSAGE = 1 << 20  # MIT's KDC TCP buffer; larger frames are not relayed
REPLY_TIMEOUT = 10.0


class Recorder:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.seq = 0
        self.lock = threading.Lock()
        os.makedirs(out_dir, exist_ok=True)
        self.index = open(os.path.join(out_dir, "index.tsv"), "a", encoding="ascii")

    def record(self, transport, direction, data, peer):
        with self.lock:
            self.seq += 1
            name = "%03d-%s-%s.hex" % (self.seq, transport, direction)
            hexs = data.hex()
            lines = [hexs[i:i + 64] for i in range(0, len(hexs), 64)]
            with open(os.path.join(self.out_dir, name), "w", encoding="ascii") as f:
                f.write("\n".join(lines) + "\n")
            self.index.write("%d\t%s\t%s\t%d\t%s:%d\n" % (self.seq, transport, direction,
                                                          len(data), peer[0], peer[1]))
            self.index.flush()


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_frame(sock):
    """One length-prefixed message, returned with its prefix; None on EOF or a bad length."""
    prefix = recv_exact(sock, 4)
    if prefix is None:
        return None
    (length,) = struct.unpack(">I", prefix)
    if length > MAX_TCP_MESSAGE:
        return None
    body = recv_exact(sock, length)
    if body is None:
        return None
    return prefix + body


def serve_udp(sock, kdc, rec):
    while True:
        data, peer = sock.recvfrom(MAX_UDP)
        threading.Thread(target=relay_udp, args=(sock, data, peer, kdc, rec), daemon=True).start()


def relay_udp(sock, data, peer, kdc, rec):
    rec.record("udp", "request", data, peer)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
        up.settimeout(REPLY_TIMEOUT)
        up.connect(kdc)
        up.send(data)
        try:
            reply = up.recv(MAX_UDP)
        except socket.timeout:
            return
    rec.record("udp", "reply", reply, peer)
    sock.sendto(reply, peer)


def serve_tcp(sock, kdc, rec):
    while True:
        conn, peer = sock.accept()
        threading.Thread(target=relay_tcp, args=(conn, peer, kdc, rec), daemon=True).start()


def relay_tcp(conn, peer, kdc, rec):
    with conn:
        conn.settimeout(REPLY_TIMEOUT)
        while True:
            frame = recv_frame(conn)
            if frame is None:
                return
            rec.record("tcp", "request", frame, peer)
            # MIT's KDC answers one request per connection and then closes it, so each request
            # gets its own upstream connection.
            with socket.create_connection(kdc, timeout=REPLY_TIMEOUT) as up:
                up.sendall(frame)
                reply = recv_frame(up)
            if reply is None:
                return
            rec.record("tcp", "reply", reply, peer)
            conn.sendall(reply)


def bind_pair(port):
    """UDP and TCP sockets on 127.0.0.1, same port (port 0: the kernel picks, we retry)."""
    for _ in range(64):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", port))
        got = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", got))
        except OSError:
            udp.close()
            tcp.close()
            if port != 0:
                raise
            continue
        tcp.listen(16)
        return udp, tcp, got
    raise OSError("no port free for both UDP and TCP")


def parse_hostport(s):
    host, _, port = s.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise argparse.ArgumentTypeError("--kdc must be a loopback address")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kdc", required=True, type=parse_hostport, help="KDC host:port (loopback)")
    ap.add_argument("--out", required=True, help="directory for the hex files and index.tsv")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (default: any free)")
    ap.add_argument("--port-file", help="write the listening port here once ready")
    args = ap.parse_args()

    rec = Recorder(args.out)
    udp, tcp, port = bind_pair(args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=serve_udp, args=(udp, args.kdc, rec), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(tcp, args.kdc, rec), daemon=True).start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)  # atomic: readers never see a partial number
    print("relaying 127.0.0.1:%d -> %s:%d" % (port, args.kdc[0], args.kdc[1]), file=sys.stderr)
    while not stop.wait(0.2):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
