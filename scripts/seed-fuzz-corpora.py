#!/usr/bin/env python3
"""Seeds fuzz/corpora/<target>/ from the messages captured from MIT krb5 (krb/testdata/mit/).
Run again after a new capture; libFuzzer adds what it finds to the same folders.

usage: scripts/seed-fuzz-corpora.py
"""
import pathlib
import shutil

root = pathlib.Path(__file__).resolve().parent.parent
mit = root / "krb" / "testdata" / "mit"
corpora = root / "fuzz" / "corpora"


def hex_file(path):
    lines = [l for l in path.read_text().splitlines() if not l.startswith("#")]
    data = bytes.fromhex("".join(lines))
    if path.name.startswith("tcp_"):
        data = data[4:]  # RFC 4120 §7.2.2 length prefix: the decoders take the bare message
    return data


def seed(target, name, data):
    d = corpora / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def main():
    for p in sorted(mit.glob("*.hex")):
        data = hex_file(p)
        stem = p.stem
        if stem.endswith("as_req") or stem.endswith("as_req_preauth"):
            target = "as_req"
        elif stem.endswith("as_rep"):
            target = "as_rep"
        else:
            target = "krb_error"
        seed(target, "mit_" + stem, data)
        seed("der", "mit_" + stem, data)
    for p in sorted(mit.glob("*.keytab")):
        seed("keytab", "mit_" + p.stem, p.read_bytes())
    for p in sorted(mit.glob("*.ccache")):
        seed("ccache", "mit_" + p.stem, p.read_bytes())
    print("seeded", ", ".join(sorted(x.name for x in corpora.iterdir())))


if __name__ == "__main__":
    main()
