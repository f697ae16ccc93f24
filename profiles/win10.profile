; vmrun profile: Windows 10/11 with the laptop's only GPU.
;
; The laptop case: an NVIDIA RTX 4060 Mobile (10de:28e0) wired to the
; internal panel, with its HDMI/DP audio function (10de:22be) in the same
; IOMMU group. Find yours with `lspci -Dnn | grep -i -e vga -e audio` and
; check the group with `vmrun check win10.profile`.
;
; Install as /etc/vmrun/win10.profile (owned by root, mode 0644) to start it
; with `systemctl start vmrun@win10`, or run `sudo vmrun win10.profile`.

[vm]
name = win10
memory = 16G
cpus = 8
accel = kvm
; OVMF, not SeaBIOS: on dGPU-only laptops the panel stays dark (no
; backlight) under SeaBIOS. uefi-secure: Secure Boot with Microsoft's keys
; enrolled (and SMM), which Windows 11 asks for; `uefi` boots without it
firmware = uefi-secure
; Hyper-V enlightenments on the CPU (those this QEMU offers; `vmrun plan`
; lists them)
os = windows
; a TPM 2.0 for the guest (swtpm; its state in /var/lib/vmrun/win10/tpm),
; which Windows 11 asks for and BitLocker keeps its keys in
tpm = yes

[gpu]
address = 0000:01:00.0
; the audio function goes along (same slot, same IOMMU group)
functions = 0000:01:00.1
; the vBIOS, given to the guest as the GPU's ROM: on laptops the ROM BAR is
; often empty or a shadow copy; OVMF needs the image with the EFI driver
rom = /var/lib/vmrun/win10/vbios.rom
; the same vBIOS through ACPI (_ROM), where NVIDIA's laptop driver reads
; it: by default (auto) for an NVIDIA GPU in a laptop; `vmrun plan` says
; whether the guest gets it, and why
;rom-acpi = yes
; NVIDIA's laptop driver stops with Code 43 on a machine without a battery:
; give the guest a (fake, always full) ACPI battery
fake-battery = yes
; the notebook maker's subsystem IDs, which the same driver checks: by
; default the host's (sysfs); or VENDOR:DEVICE as lspci -nnv shows them
;subsystem = 17aa:3c3e
; the panel's brightness: the guest often cannot set it (docs/backlight.md),
; so turn it up before the host driver goes; it is put back after
backlight = max

[disk system]
file = /var/lib/vmrun/win10/disk.qcow2
format = qcow2
; virtio needs the virtio-win drivers during installation; sata works out
; of the box, nvme is fast and needs no extra drivers on Windows 10+
interface = nvme

[display]
; a second screen over SPICE, reached through an ssh tunnel
; (`vmrun display win10` prints the command)
spice = 127.0.0.1:5900

[input]
; the keyboard and mouse, grabbed by the guest while it runs. Their
; names: `ls -l /dev/input/by-id` (the -event- ones)
evdev = /dev/input/by-id/usb-Logitech_USB_Receiver-event-kbd, /dev/input/by-id/usb-Logitech_USB_Receiver-if02-event-mouse
; the keys that hand them back to the host and again to the guest: both
; Ctrl keys (ctrl-ctrl), or alt-alt, shift-shift, meta-meta, scrolllock,
; ctrl-scrolllock
grab-toggle = ctrl-ctrl

[usb]
; host USB devices the guest takes whole, as `lsusb` shows them
; (VENDOR:PRODUCT): a game controller, a security key...
devices = 045e:028e

[network]
mode = user

[host]
; while the guest has the GPU the host must not suspend under it: logind's
; inhibitor locks keep it from that (`systemd-inhibit --list`). The laptop's
; power button asks the guest to power off and gives the desktop back
; (guest), or is logind's as without vmrun (host)
power-button = guest
; closing the lid suspends nothing (keep-running), or does what logind's
; HandleLidSwitch= says (host)
lid = keep-running

[qemu]
binary = /usr/bin/qemu-system-x86_64
; seconds Windows gets to shut down before QEMU is stopped
timeout-shutdown = 120
