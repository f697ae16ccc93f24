; vmrun's demo: runs anywhere, no GPU, no KVM needed.
;
; A tiny Linux guest (Debian's kernel and a busybox initramfs, built by
; tests/guest/build-guest into /var/lib/vmrun/demo/ by scripts/demo) booted
; under software emulation with OVMF, the same firmware path the GPU VM
; takes. The guest powers off when asked over ACPI: `vmrun shutdown demo`.

[vm]
name = demo
memory = 256M
cpus = 1
accel = tcg
firmware = uefi

[boot]
kernel = /var/lib/vmrun/demo/vmlinuz
initrd = /var/lib/vmrun/demo/initramfs.cpio.gz
append = console=ttyS0 quiet

[network]
mode = none

[qemu]
timeout-shutdown = 30
