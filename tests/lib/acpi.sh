# Sourced by the tests that look at a test guest's ACPI (tests/guest,
# booted with vmrun.acpi on its command line: it prints its PCI devices'
# ACPI nodes and its tables on its console), and run acpiexec (acpica-tools)
# over those tables: tests/integration/run, tests/lab/scenarios/rom-acpi.

# The tables between "vmrun-guest: acpi table NAME" and "... end" on the
# guest's console (vmrun.acpi), as DIR/NAME.dat
guest_acpi_tables() {
        python3 -c '
import base64, re, sys
text = open(sys.argv[1], "rb").read().decode("latin-1").replace("\r", "")
found = re.findall(r"^vmrun-guest: acpi table (\S+)\n(.*?)^vmrun-guest: acpi table end$", text, re.S | re.M)
for name, b64 in found:
    open(sys.argv[2] + "/" + name + ".dat", "wb").write(base64.b64decode(b64))
sys.exit(0 if found else 1)' "$1" "$2"
}

# acpiexec's output on stdin: do its Buffers hold ROM's bytes at OFFSET,
# LENGTH, ... (as many Buffers as pairs)?
acpiexec_buffers_are() {
        python3 -c '
import re, sys
rom = open(sys.argv[1], "rb").read()
want = [rom[int(o):int(o) + int(n)] for o, n in zip(sys.argv[2::2], sys.argv[3::2])]
got = []
for m in re.finditer(r"\[Buffer\] Length ([0-9A-F]+) =(.*?)(?=\n\S|\Z)", sys.stdin.read(), re.S):
    hexes = re.findall(r"[0-9A-F]{4}: ((?:[0-9A-F]{2} )+)", m.group(2))
    got.append(bytes.fromhex("".join(hexes))[:int(m.group(1), 16)])
for i, (g, w) in enumerate(zip(got, want)):
    if g != w:
        print("buffer %d: %d bytes, want %d%s" % (i, len(g), len(w), "" if len(g) != len(w) else ", not the same"))
sys.exit(0 if got == want else 1)' "$@"
}

# An ACPI path as the guest's kernel prints a node's (firmware_node/path),
# each name padded to four characters: \_SB.PCI0.S08.S00 → \_SB_.PCI0.S08_.S00_
acpi_path_padded() {
        local out= seg
        local -a segs
        IFS=. read -r -a segs <<<"${1#\\}"
        for seg in "${segs[@]}"; do
                seg=${seg}___
                out+=.${seg:0:4}
        done
        echo "\\${out#.}"
}
