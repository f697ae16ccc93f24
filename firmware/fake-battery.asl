/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * vmrun's fake battery: an SSDT with one ACPI control method battery
 * (PNP0C0A), passed to the guest with -acpitable when a profile says
 * [gpu] fake-battery = yes.
 *
 * Why: NVIDIA's driver for laptop GPUs (the "Mobile" parts) refuses to
 * start (Code 43 in the Windows device manager) when the machine it runs
 * on does not look like a laptop, and a battery is what it looks for.
 * The battery is static: always present, full, on mains power; nothing
 * in the guest can drain it.
 *
 * Built by meson with iasl (acpica-tools) into fake-battery.aml, installed
 * to DATADIR/vmrun/. The AML depends only on this file and the iasl
 * version (no dates or paths go into it).
 */
DefinitionBlock ("", "SSDT", 2, "VMRUN", "FAKEBAT", 0x00000001)
{
    /*
     * Directly under \_SB rather than below a PCI host bridge: its name
     * differs between machine types, and a battery is no PCI device.
     * Linux names the power supply after the device: BAT0.
     */
    Scope (\_SB)
    {
        Device (BAT0)
        {
            Name (_HID, EisaId ("PNP0C0A"))
            Name (_UID, One)

            /* present, enabled, shown in the UI, functioning, battery present */
            Method (_STA, 0, NotSerialized)
            {
                Return (0x1F)
            }

            /*
             * Battery information (ACPI 6.x, 10.2.2.1), a 4-cell Li-ion
             * pack such as a 15" laptop's: capacities in mWh, voltage in mV.
             */
            Method (_BIF, 0, NotSerialized)
            {
                Return (Package (0x0D)
                {
                    0x00000000,     /* power unit: mWh / mW */
                    0x0000EA60,     /* design capacity: 60000 mWh */
                    0x0000EA60,     /* last full charge capacity: 60000 mWh */
                    0x00000001,     /* technology: rechargeable */
                    0x00003C8C,     /* design voltage: 15500 mV */
                    0x00001770,     /* design capacity of warning: 6000 mWh (10%) */
                    0x00000BB8,     /* design capacity of low: 3000 mWh (5%) */
                    0x00000064,     /* granularity between low and warning: 100 mWh */
                    0x00000064,     /* granularity between warning and full: 100 mWh */
                    "VMRUN BAT0",   /* model number */
                    "00000001",     /* serial number */
                    "LION",         /* battery type */
                    "vmrun"         /* OEM information */
                })
            }

            /*
             * Battery status (10.2.2.6): neither charging nor discharging
             * (on mains, full), no current, full capacity, nominal voltage.
             */
            Method (_BST, 0, NotSerialized)
            {
                Return (Package (0x04)
                {
                    0x00000000,     /* state: not charging, not discharging, not critical */
                    0x00000000,     /* present rate: 0 mW */
                    0x0000EA60,     /* remaining capacity: 60000 mWh */
                    0x00003C8C      /* present voltage: 15500 mV */
                })
            }
        }
    }
}
