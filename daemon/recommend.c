/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "hostfs.h"
#include "kvmtuned/macro.h"
#include "recommend.h"

/* DMI strings hypervisors put in their guests' firmware tables. */
static const char *const dmi_vendors[] = {
        "QEMU", "KVM", "VMware", "VirtualBox", "innotek", "Xen", "Bochs", "Parallels",
        "Microsoft Corporation Virtual Machine", "OpenStack", "Amazon EC2", "Google Compute Engine",
};

static bool cpuinfo_has_hypervisor_flag(const struct hostfs *h) {
        char buf[16384];
        const char *flags;

        /* The first processor's flags line is enough; a 448-CPU cpuinfo is
         * a megabyte we do not need. */
        if (hostfs_read(h, "/proc/cpuinfo", buf, sizeof buf) < 0)
                return false;
        flags = strstr(buf, "\nflags");
        if (!flags)
                return false;
        flags = strchr(flags, ':');
        if (!flags)
                return false;
        buf[(size_t) (strchrnul(flags, '\n') - buf)] = '\0';
        return word_in_list(flags + 1, "hypervisor");
}

static bool dmi_says_virtual(const struct hostfs *h) {
        static const char *const files[] = {
                "/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/product_name", "/sys/class/dmi/id/bios_vendor",
        };
        char buf[256];

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                if (hostfs_read(h, files[i], buf, sizeof buf) < 0)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(dmi_vendors); k++)
                        if (strstr(buf, dmi_vendors[k]))
                                return true;
        }
        return false;
}

const char *recommend_profile(const struct hostfs *h, const char **reason) {
        char buf[64];

        if (cpuinfo_has_hypervisor_flag(h)) {
                *reason = "the CPU reports a hypervisor (cpuinfo flag)";
                return "virtual-guest";
        }
        if (hostfs_read(h, "/sys/hypervisor/type", buf, sizeof buf) > 0) {
                *reason = "/sys/hypervisor names a hypervisor";
                return "virtual-guest";
        }
        if (dmi_says_virtual(h)) {
                *reason = "the DMI tables name a virtual machine";
                return "virtual-guest";
        }
        if (hostfs_exists(h, "/dev/kvm")) {
                *reason = "/dev/kvm exists";
                return "virtual-host";
        }
        if (hostfs_exists(h, "/run/libvirt/libvirt-sock") || hostfs_exists(h, "/run/libvirt/virtqemud-sock")) {
                *reason = "a libvirt daemon is running";
                return "virtual-host";
        }
        *reason = "neither a VM nor a KVM host";
        return NULL;
}
