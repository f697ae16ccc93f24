; values that look like options, protocols and escapes
[vm]
name = hostile
memory = 1536M
cpus = 4
accel = tcg
firmware = uefi-secure
os = windows

[gpu]
address = 0000:01:00.0
functions = 01:00.1, 01:00.2
rom = /vm/a,romfile=/etc/shadow,x=y.rom
fake-battery = yes
subsystem = 17aa:3c3e

[disk system]
file = /vm/json:{"driver":"nbd"},,-device e1000.qcow2
interface = nvme

[disk d1]
file = /vm/id=x,,driver=nbd,host=evil;b'c`d$(e)
interface = sata
read-only = yes

[boot]
kernel = /vm/-kernel
initrd = /vm/é €.img
append = -S console=ttyS0 quiet

[display]
spice = [::1]:5901

[network]
mode = bridge
bridge = br0

[host]
display-manager = gdm.service
stop-units = nvidia-persistenced.service a@b.service
allow-classes = none

[qemu]
binary = /usr/bin/qemu-system-x86_64
user = vmrun
timeout-shutdown = 90

[input]
evdev = /dev/input/by-id/usb-x-event-kbd, /dev/input/event3

[usb]
devices = 046d:c52b 045e:028e
